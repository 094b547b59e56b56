/** One autocannon run against one URL, with exact per-response latencies and a progress display. */
import autocannon from 'autocannon'
import type { Payload } from './payloads'

export interface LoadSpec {
  url: string
  payload: Payload
  connections: number
  durationS: number
  /** Open-loop mode: total requests/s spread over the connections. */
  overallRate?: number
  /** Shown beside the progress bar. */
  label: string
  /** Set for warm-ups: no progress output. */
  quiet?: boolean
  /**
   * Seconds of load before the measured window of `durationS` opens (default 0). Under a queue the work in
   * flight when a point ends was paid for inside it but answered after it (at 256 connections, hundreds of decoded
   * images); in a window opened once the pipeline is full, what is in flight at its start makes up for it, as in
   * the limit's cells, which also measure a window in their middle.
   */
  settleS?: number
  /** Called as the measured window opens (for readings that must cover the same window, e.g. the server's CPU). */
  onWindowStart?: () => void
}

export interface LoadOutcome {
  /** The whole run, settling included (errors, timeouts and non-2xx are counted over all of it). */
  result: autocannon.Result
  /**
   * Responses that arrived in the measured window: 2xx response times, ms, full precision (autocannon's own
   * histogram rounds to whole ms).
   */
  latenciesMs: number[]
  /** Responses of each status that arrived in the measured window. */
  statusCodes: Record<string, number>
  /** Length of the measured window, s. */
  elapsedS: number
  /** CPU the harness process spent generating load, ms. */
  loadgenCpuMs: number
}

/**
 * Every request is sent with `Cache-Control: no-store`: the same bytes go out thousands of times, and
 * the server's result cache would otherwise turn the benchmark into a cache benchmark.
 */
export const requestHeaders = (payload: Payload) => ({
  'content-type': payload.contentType,
  'cache-control': 'no-store',
  ...payload.headers
})

/** Prints a plain progress line on stderr when it is not a terminal (CI logs), one per few seconds. */
function plainProgress(label: string, durationS: number, count: () => number): () => void {
  const started = performance.now()
  const timer = setInterval(() => {
    const s = (performance.now() - started) / 1000
    process.stderr.write(`  ${label}: ${s.toFixed(0)}/${durationS} s, ${count()} responses\n`)
  }, 5000)
  return () => clearInterval(timer)
}

/** Drives `spec` to completion. The request timeout is generous so a saturated server shows latency, not errors. */
export async function runLoad(spec: LoadSpec): Promise<LoadOutcome> {
  const latenciesMs: number[] = []
  const statusCodes: Record<string, number> = {}
  let responses = 0
  const cpuBefore = process.cpuUsage()
  const settleS = spec.settleS ?? 0
  let windowOpenedAt = performance.now()
  let inWindow = settleS === 0
  if (inWindow) spec.onWindowStart?.()
  const opener = inWindow
    ? undefined
    : setTimeout(() => {
        windowOpenedAt = performance.now()
        inWindow = true
        spec.onWindowStart?.()
      }, settleS * 1000)
  let stopProgress = () => {}
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${spec.url}${spec.payload.path}`,
        method: 'POST',
        headers: requestHeaders(spec.payload),
        body: spec.payload.body,
        connections: spec.connections,
        duration: settleS + spec.durationS,
        overallRate: spec.overallRate,
        timeout: 30
      },
      (error, result) => (error ? reject(error) : resolve(result))
    )
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      responses++
      if (!inWindow) return
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1
      if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTimeMs)
    })
    if (spec.quiet) return
    if (process.stderr.isTTY) {
      process.stderr.write(`${spec.label}\n`)
      autocannon.track(instance, { renderResultsTable: false, renderLatencyTable: false })
    } else {
      process.stderr.write(`  ${spec.label}: started\n`)
      stopProgress = plainProgress(spec.label, settleS + spec.durationS, () => responses)
    }
  }).finally(() => {
    clearTimeout(opener)
    stopProgress()
  })
  const cpu = process.cpuUsage(cpuBefore)
  return {
    result,
    latenciesMs,
    statusCodes,
    elapsedS: (performance.now() - windowOpenedAt) / 1000,
    loadgenCpuMs: (cpu.user + cpu.system) / 1000
  }
}
