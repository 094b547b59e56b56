import { parseArgs } from 'node:util'
import { PAYLOAD_NAMES } from './payloads'

export const CONTENDERS = ['limit', 'naive', 'batch-off', 'server'] as const
export type ContenderName = (typeof CONTENDERS)[number]
/** `sweep` and `open-loop` use the small multipart JPEG; the others are one point per payload. */
export const SCENARIOS = ['sweep', 'open-loop', ...PAYLOAD_NAMES] as const
export type ScenarioName = (typeof SCENARIOS)[number]

export interface BenchOptions {
  quick: boolean
  /** Target a running server instead of starting contenders (only the `server` contender then). */
  url?: string
  /** With --url: the server's pid, so CPU and RSS can still be read from /proc. */
  pid?: number
  durationS: number
  /** Seconds of load before each HTTP point's measured window (lib/load.ts, `settleS`). */
  settleS: number
  warmupS: number
  connections: number[]
  /** Connections for single-payload points and for the open-loop mode. */
  payloadConnections: number
  openLoopConnections: number
  ratesPercent: number[]
  scenarios: ScenarioName[]
  contenders: ContenderName[]
  /** Seconds per (batch, concurrency) cell of the in-process limit. */
  limitDurationS: number
  /** Paired rounds for the four noise-bound targets (lib/paired.ts); 0: judge them on the sweep alone. */
  rounds: number
  /** Seconds per point of a paired round. */
  pairedDurationS: number
  outDir: string
  /** Rewrite the summary block of bench/README.md. */
  readme: boolean
  /** Re-render the summary, chart and target checks of a saved JSON result instead of measuring. */
  render?: string
}

export const HELP = `bun run bench [flags]

  --quick                 short run (< 2 min): 2 s points, 1 s warm-up, fewer limit cells
  --url URL               benchmark a running server (base URL, 127.0.0.1 only); no limit/naive/batch-off
  --pid N                 with --url: the server's pid, to read CPU and RSS from /proc
  --duration S            seconds per load point (default 10, quick 2)
  --settle S              seconds of load before each HTTP point's measured window (default 2, quick 0.5)
  --warmup S              warm-up seconds per contender (default 3, quick 1)
  --connections LIST      concurrency sweep (default 1,4,16,64,256)
  --payload-connections N connections for the per-payload points (default 16)
  --open-loop-connections N  connections carrying the fixed-rate load (default 16)
  --rates LIST            open-loop rates, % of measured capacity (default 50,80,100,120)
  --scenarios LIST        any of ${SCENARIOS.join(',')} (default all)
  --contenders LIST       any of ${CONTENDERS.join(',')} (default all)
  --limit-duration S      seconds per cell of the in-process limit grid (default 3, quick 1.5)
  --rounds N              paired rounds judging the 1-connection and saturation targets (default 7, quick 2; 0: none)
  --paired-duration S     seconds per point of a paired round (default 5, quick 2)
  --out DIR               where results go (default bench/results)
  --readme                also rewrite the summary table in bench/README.md
  --render FILE           no load: re-render the Markdown, SVG and target checks of a saved result JSON
  --help
`

const list = (raw: string) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
const numbers = (raw: string, flag: string) =>
  list(raw).map((s) => {
    const n = Number(s)
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${flag}: "${s}" is not a positive number`)
    return n
  })

const wholeOrZero = (raw: string, flag: string) => {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag}: "${raw}" is not a whole number ≥ 0`)
  return n
}

function oneOf<T extends string>(raw: string, allowed: readonly T[], flag: string): T[] {
  return list(raw).map((s) => {
    if (!allowed.includes(s as T)) throw new Error(`--${flag}: unknown "${s}" (known: ${allowed.join(', ')})`)
    return s as T
  })
}

/** Parses argv into options; throws one message naming the bad flag. Returns null for --help. */
export function parseBenchArgs(argv: string[]): BenchOptions | null {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      url: { type: 'string' },
      pid: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string', default: '1,4,16,64,256' },
      'payload-connections': { type: 'string', default: '16' },
      'open-loop-connections': { type: 'string', default: '16' },
      rates: { type: 'string', default: '50,80,100,120' },
      scenarios: { type: 'string', default: SCENARIOS.join(',') },
      contenders: { type: 'string', default: CONTENDERS.join(',') },
      'limit-duration': { type: 'string' },
      rounds: { type: 'string' },
      'paired-duration': { type: 'string' },
      settle: { type: 'string' },
      out: { type: 'string', default: 'bench/results' },
      readme: { type: 'boolean', default: false },
      render: { type: 'string' },
      help: { type: 'boolean', default: false }
    }
  })
  if (v.help) return null
  const quick = v.quick ?? false
  if (v.url !== undefined) {
    const host = new URL(v.url).hostname
    if (host !== '127.0.0.1' && host !== 'localhost') throw new Error('--url: only 127.0.0.1 is benchmarked from here')
  }
  const contenders = v.url !== undefined ? (['server'] as ContenderName[]) : oneOf(v.contenders!, CONTENDERS, 'contenders')
  return {
    quick,
    url: v.url?.replace(/\/$/, ''),
    pid: v.pid === undefined ? undefined : numbers(v.pid, 'pid')[0],
    durationS: v.duration ? numbers(v.duration, 'duration')[0]! : quick ? 2 : 10,
    settleS: v.settle !== undefined ? numbers(v.settle, 'settle')[0]! : quick ? 0.5 : 2,
    warmupS: v.warmup ? numbers(v.warmup, 'warmup')[0]! : quick ? 1 : 3,
    connections: numbers(v.connections!, 'connections').map(Math.round),
    payloadConnections: Math.round(numbers(v['payload-connections']!, 'payload-connections')[0]!),
    openLoopConnections: Math.round(numbers(v['open-loop-connections']!, 'open-loop-connections')[0]!),
    ratesPercent: numbers(v.rates!, 'rates'),
    scenarios: oneOf(v.scenarios!, SCENARIOS, 'scenarios'),
    contenders,
    limitDurationS: v['limit-duration'] ? numbers(v['limit-duration'], 'limit-duration')[0]! : quick ? 1.5 : 3,
    rounds: v.rounds !== undefined ? wholeOrZero(v.rounds, 'rounds') : quick ? 2 : 7,
    pairedDurationS: v['paired-duration'] ? numbers(v['paired-duration'], 'paired-duration')[0]! : quick ? 2 : 5,
    outDir: v.out!,
    readme: v.readme ?? false,
    render: v.render
  }
}
