/** One load point: settle, snapshot the server, drive load, snapshot again, and reduce to a PointResult. */
import { runLoad, type LoadSpec } from './load'
// Over the process tree: with BUN_INFER_PROCESSES the pid is a supervisor, and the work is in its server processes.
import {
  treeCpuSeconds as cpuSeconds,
  treePeakRssBytes as peakRssBytes,
  resetTreePeakRss as resetPeakRss
} from '../../tools/process/procfs'
import { diffMetrics, scrape } from './promtext'
import { round, roundLatency, summarise } from './stats'
import type { PointResult } from './types'

export interface Target {
  contender: string
  url: string
  /** For /proc readings; absent when benchmarking a server we did not start and were not told about. */
  pid?: number
}

/**
 * Waits until the server's CPU falls quiet (under 10 % of a core for 200 ms, at most 5 s), so work left
 * over from the previous point (requests whose clients already left) is not billed to this one.
 */
export async function settle(target: Target): Promise<void> {
  if (target.pid === undefined) return Bun.sleep(300)
  const deadline = performance.now() + 5000
  let last = cpuSeconds(target.pid)
  while (performance.now() < deadline) {
    await Bun.sleep(200)
    const now = cpuSeconds(target.pid)
    if (now === null || last === null || now - last < 0.02) return
    last = now
  }
}

/** Measures one point; `scenario` names the row it belongs to (sweep, open-loop, payload). */
export async function measurePoint(target: Target, scenario: string, spec: Omit<LoadSpec, 'url' | 'label'>): Promise<PointResult> {
  await settle(target)
  const pid = target.pid
  const label =
    `${target.contender} · ${scenario} · ${spec.payload.name} · ${spec.connections} conn` +
    (spec.overallRate ? ` · ${Math.round(spec.overallRate)} req/s` : '')
  const metricsBefore = await scrape(target.url)
  const peakResetOk = pid !== undefined && resetPeakRss(pid)
  let cpuBefore: number | null = null
  const load = await runLoad({
    ...spec,
    url: target.url,
    label,
    onWindowStart: () => (cpuBefore = pid !== undefined ? cpuSeconds(pid) : null)
  })
  const cpuAfter = pid !== undefined ? cpuSeconds(pid) : null
  const peak = pid !== undefined ? peakRssBytes(pid) : null
  const metricsAfter = metricsBefore ? await scrape(target.url) : null

  const { result, statusCodes } = load
  const ok = load.latenciesMs.length
  const images = ok * spec.payload.imagesPerRequest
  const cpuS = cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null
  const latency = summarise(load.latenciesMs)
  return {
    contender: target.contender,
    scenario,
    payload: spec.payload.name,
    imagesPerRequest: spec.payload.imagesPerRequest,
    connections: spec.connections,
    targetRate: spec.overallRate === undefined ? undefined : round(spec.overallRate),
    durationS: round(load.elapsedS),
    requests2xx: ok,
    reqPerS: round(ok / load.elapsedS),
    imgPerS: round(images / load.elapsedS),
    latencyMs: roundLatency(latency),
    autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    serverCpuMsPerImage: cpuS !== null && images > 0 ? round((cpuS * 1000) / images) : null,
    serverCpuCores: cpuS !== null ? round(cpuS / load.elapsedS) : null,
    serverPeakRssMb: peak !== null ? round(peak / 2 ** 20) : null,
    peakRssResetOk: peakResetOk,
    loadgenCpuMsPerRequest: round(load.loadgenCpuMs / Math.max(1, result.requests.total)),
    metrics: metricsBefore && metricsAfter ? diffMetrics(metricsBefore, metricsAfter) : null
  }
}
