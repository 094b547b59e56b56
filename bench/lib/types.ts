/** Shapes of everything the harness measures; the JSON report is exactly these. */

export interface LatencyMs {
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
}

/** Server-side numbers read from its own /metrics, as the difference over one point. */
export interface ServerMetricsDelta {
  /** Batches per bucket upper bound (`le`), non-cumulative, every bucket: { "1": 10, "2": 3, "4": 0, ..., "+Inf": 0 }. */
  batchSizeHistogram: Record<string, number>
  batches: number
  meanBatchSize: number
  /** Mean per-image time in each stage (preprocess, queue, inference, total), ms. */
  stageMeanMs: Record<string, number>
}

export interface PointResult {
  contender: string
  scenario: string
  payload: string
  imagesPerRequest: number
  connections: number
  /** Requests/s asked for in open-loop mode; absent in closed-loop points. */
  targetRate?: number
  durationS: number
  requests2xx: number
  reqPerS: number
  imgPerS: number
  /** Client-side, 2xx only, full precision (from autocannon's per-response event). */
  latencyMs: LatencyMs
  /** autocannon's own histogram (1 ms resolution; corrected for coordinated omission in open-loop mode). */
  autocannonLatencyMs: { p50: number; p99: number; max: number }
  non2xx: number
  errors: number
  timeouts: number
  statusCodes: Record<string, number>
  /** Server process CPU (user+system, every thread) over the point, divided by images answered 2xx. */
  serverCpuMsPerImage: number | null
  serverCpuCores: number | null
  /** VmHWM over the point when the peak could be reset, else since the process started. */
  serverPeakRssMb: number | null
  peakRssResetOk: boolean
  /** The harness's own CPU (autocannon), which shares the machine with the server. */
  loadgenCpuMsPerRequest: number
  metrics: ServerMetricsDelta | null
}

export interface LimitPoint {
  batchSize: number
  concurrency: number
  images: number
  durationS: number
  imgPerS: number
  cpuMsPerImage: number
  /** Per image, from preprocess start to scores back (the client's view without HTTP). */
  latencyMs: LatencyMs
  preprocessMeanMs: number
  inferenceMeanMs: number
}

/** One single-image cell of the floor, with the thread setting of its one-worker pool. */
export interface FloorPoint extends LimitPoint {
  intraOpThreads: number
  spinning: boolean
}

export interface LimitFloor {
  /** The lowest p50 over every setting: the 1-connection target stands on it. */
  best: FloorPoint
  points: FloorPoint[]
}

export interface LimitResult {
  model: string
  workers: number
  intraOpThreads: number
  /** The server's thread settings beside `workers` × `intraOpThreads` (absent in older results). */
  loneIntraOpThreads?: number
  spinning?: boolean
  /** The lone session spins within its runs (absent in results from before it did). */
  loneSpinning?: boolean
  /** Best single-image latency over intra-op threads 1 and all cores, spinning on and off (absent with --no-floor). */
  floor?: LimitFloor
  grid: LimitPoint[]
  best: LimitPoint
  /** Batch 1, concurrency 1: one image at a time through the whole path. */
  single: LimitPoint
  /** The best (batch, concurrency) repeated on every payload image, by payload name. */
  byPayload: Record<string, LimitPoint>
  /**
   * The best cell and the single-image cell measured again after the HTTP contenders; `best` and
   * `single` above are the better of the two runs, so a noisy neighbour during one run costs less.
   */
  recheck?: LimitPoint[]
  /** cores × 1000 / best CPU ms per image: the throughput if every core did nothing else. */
  cpuBoundImgPerS?: number
}

export interface ContenderResult {
  name: string
  description: string
  env: Record<string, string>
  startupMs: number | null
  points: PointResult[]
}

export interface TargetCheck {
  name: string
  pass: boolean | null
  detail: string
}

export interface MachineFacts {
  cpuModel: string
  /** Cores this process may run on (its CPU affinity): what the server and the limit size their threads by. */
  cores: number
  /** Cores the machine has, when more than `cores` (the run was pinned with taskset). */
  coresOnline?: number
  memTotalGb: number
  os: string
  kernel: string
  bun: string
  onnxruntime: string
  sharp: string
  libvips: string
  autocannon: string
  gitCommit: string
  gitDirty: boolean
}

/** One paired round (lib/paired.ts): each side measured back to back with the other. */
export interface PairedRound {
  /** 1 connection, client-side p50 (ms) and requests/s. */
  server: { p50: number; reqPerS: number }
  naive: { p50: number; reqPerS: number }
  /**
   * The single-image floor of this round: the limit's chosen thread setting, measured as long as the server's point
   * (in older results: the best p50 over the four settings, one turn each).
   */
  floor: { p50: number; intraOpThreads: number; spinning: boolean }
  /**
   * An HTTP server that only holds each request busy for `holdMs` (the floor's p50 in the limit) at 1 connection:
   * p50 − holdMs is what HTTP adds on this machine (absent in results from before it was measured).
   */
  echo?: { holdMs: number; p50: number }
  /** The server with as many requests in flight as the limit's best cell has images (its loops), and that cell. */
  saturation: {
    server: { imgPerS: number; cpuMsPerImage: number | null }
    limit: { imgPerS: number; cpuMsPerImage: number }
  }
}

export interface PairedResult {
  durationS: number
  saturationConnections: number
  limitCell: { batchSize: number; concurrency: number }
  rounds: PairedRound[]
}

export interface BenchReport {
  startedAt: string
  finishedAt: string
  command: string
  options: Record<string, unknown>
  machine: MachineFacts
  /** 1-minute load average before and after the run: a busy neighbour on a shared machine shows here. */
  loadAverage1m: { start: number; end: number }
  limit: LimitResult | null
  contenders: ContenderResult[]
  /** Absent with --rounds 0, without the limit, or in results from before the paired rounds. */
  paired?: PairedResult | null
  targets: TargetCheck[]
}
