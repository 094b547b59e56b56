import { type Aggregator, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { PredictionLogCounts } from '../prediction-log/log'
import { LATENCY_BUCKETS, PREFIX } from './collected'
import { type DriftSource, predictionMetrics } from './predictions'
import type { SinkCounts } from '../prediction-log/cloudevents-sink'

const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128]

export interface MetricSources {
  /** Every model version served now (read at each scrape: the repository extension loads and unloads them). */
  versions?: () => ReadonlyArray<{ model: string; version: string; key: string }>
  queueDepth?: (key: string) => number
  /** Images admitted and not yet answered: waiting to decode, decoding, queued or running. */
  backlog?: (key: string) => number
  running?: (key: string) => number
  awaitingDecode?: (key: string) => number
  /** Workers holding a version's sessions, and the memory they added at load (the worker pool). */
  instances?: (key: string) => number
  memoryBytes?: (key: string) => number
  inFlight?: () => number
  cacheSize?: () => { entries: number; bytes: number }
  /** The prediction log's counts, when there is one. */
  predictionLog?: () => PredictionLogCounts | undefined
  /** Each model version's drift, when the prediction log is on. */
  drift?: DriftSource
  /** Labels whose latency has its own series (the rest are "other"). */
  monitoredLabels?: readonly string[]
  /** The CloudEvents sink's counts, when there is one. */
  events?: () => SinkCounts
}

/** The server's metrics, on a registry of its own (no prom-client global state). Gauges read `sources` at scrape time. */
export function createMetrics(sources: MetricSources = {}) {
  const registry = new Registry()
  /**
   * A gauge per served model version, read from `read(key)` at scrape time. `aggregator`: how the container's /metrics
   * merges it over server processes (BUN_INFER_PROCESSES; src/processes/merge-metrics.ts).
   */
  const perVersionGauge = (name: string, help: string, read?: (key: string) => number, aggregator: Aggregator = 'sum') =>
    new Gauge({
      name: `${PREFIX}${name}`,
      help,
      labelNames: ['model', 'version'] as const,
      registers: [registry],
      aggregator,
      collect() {
        // Reset first, so a version unloaded since the last scrape leaves the gauge.
        this.reset()
        for (const { model, version, key } of sources.versions?.() ?? []) this.set({ model, version }, read?.(key) ?? 0)
      }
    })
  // No prefix: process_* and nodejs_* keep their standard names, so stock dashboards find them.
  collectDefaultMetrics({ register: registry })
  // prom-client names these gauges `_total`, which Prometheus reserves for counters (promtool rejects
  // them); each is the sum of its labelled sibling (nodejs_active_handles etc.), so nothing is lost.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
    registry.removeSingleMetric(name)
  return {
    registry,
    ...predictionMetrics(registry, sources.predictionLog, sources.drift, sources.monitoredLabels, sources.events),
    httpRequests: new Counter({
      name: `${PREFIX}http_requests_total`,
      help: 'HTTP requests by route, method and status.',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry]
    }),
    httpDuration: new Histogram({
      name: `${PREFIX}http_request_duration_seconds`,
      help: 'HTTP request duration by route, method and status.',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry]
    }),
    stageDuration: new Histogram({
      name: `${PREFIX}stage_duration_seconds`,
      help: 'Per-image duration of each stage: preprocess, queue wait, inference, total.',
      labelNames: ['model', 'version', 'stage'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry]
    }),
    batchSize: new Histogram({
      name: `${PREFIX}batch_size`,
      help: 'Images per batch run.',
      labelNames: ['model', 'version'] as const,
      buckets: BATCH_BUCKETS,
      registers: [registry]
    }),
    queueDepth: perVersionGauge('queue_depth', 'Images waiting for a worker.', sources.queueDepth),
    backlog: perVersionGauge(
      'backlog_images',
      'Images of requests admitted and not yet answered: waiting to decode (still encoded), decoding, queued for a worker, or running; bulk job images are not counted. The autoscaling signal: it rises with overload whatever the photo size.',
      sources.backlog
    ),
    runningImages: perVersionGauge('running_images', 'Images in batches running on inference workers now.', sources.running),
    awaitingDecode: perVersionGauge(
      'awaiting_decode',
      'Images waiting, still encoded, for their turn to decode: the workers have enough decoded images ahead.',
      sources.awaitingDecode
    ),
    inFlight: new Gauge({
      name: `${PREFIX}requests_in_flight`,
      help: 'Predict requests being handled (parsing, preprocessing, queued or running).',
      registers: [registry],
      collect() {
        this.set(sources.inFlight?.() ?? 0)
      }
    }),
    skipped: new Counter({
      name: `${PREFIX}queue_skipped_total`,
      help: 'Queued images dropped before inference because their request was aborted (deadline or client gone).',
      labelNames: ['model', 'version'] as const,
      registers: [registry]
    }),
    cacheEvents: new Counter({
      name: `${PREFIX}cache_events_total`,
      help: 'Result cache events: hit, miss, eviction (local tier); shared_hit, shared_miss, shared_error, shared_connect, shared_disconnect (Redis tier).',
      labelNames: ['event'] as const,
      registers: [registry]
    }),
    cacheEntries: new Gauge({
      name: `${PREFIX}cache_entries`,
      help: 'Entries in the in-process result cache.',
      registers: [registry],
      collect() {
        this.set(sources.cacheSize?.().entries ?? 0)
      }
    }),
    cacheBytes: new Gauge({
      name: `${PREFIX}cache_bytes`,
      help: 'Bytes held by the in-process result cache.',
      registers: [registry],
      collect() {
        this.set(sources.cacheSize?.().bytes ?? 0)
      }
    }),
    workerRestarts: new Counter({
      name: `${PREFIX}worker_restarts_total`,
      help: 'Inference workers that died and were replaced.',
      registers: [registry]
    }),
    // Every process loads every version: summed over processes it would say N, not 1.
    modelInfo: perVersionGauge('model_info', 'Loaded model versions (value 1).', () => 1, 'max'),
    modelInstances: perVersionGauge('model_instances', 'Inference workers holding a session of the model version.', sources.instances),
    modelMemory: perVersionGauge(
      'model_memory_bytes',
      "Native memory the version's sessions allocated when loaded (weights, graph, a one-image warm-up), over its workers.",
      sources.memoryBytes
    )
  }
}

export type Metrics = ReturnType<typeof createMetrics>
