import type { LatencyMs } from './types'

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

/** p50/p90/p99/max/mean of raw samples in ms (NaN when there are none). */
export function summarise(samples: ArrayLike<number>): LatencyMs {
  const sorted = Float64Array.from(samples).sort()
  let sum = 0
  for (const v of sorted) sum += v
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    mean: sorted.length ? sum / sorted.length : NaN
  }
}

/** Rounds for display and JSON: 3 significant decimals below 10, 1 above. */
export const round = (n: number, digits = n !== 0 && Math.abs(n) < 10 ? 3 : 1) =>
  Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n

/** Every latency figure rounded for the report. */
export function roundLatency(latency: LatencyMs): LatencyMs {
  return { p50: round(latency.p50), p90: round(latency.p90), p99: round(latency.p99), max: round(latency.max), mean: round(latency.mean) }
}
