import type { StoredPrediction } from './store'

export interface LabelSummary {
  label: string
  class_index: number
  count: number
  /** count ÷ every prediction in the window. */
  share: number
  /** Of the top class's probability; null when no prediction of the label carried one. */
  confidence: { mean: number; p50: number; p95: number } | null
  /** Of the request's time in the server (decode, queue, inference), in ms. */
  latency_ms: { p50: number; p95: number }
  /** Share of this label's predictions whose probability is below the threshold. */
  low_confidence_rate: number | null
}

export interface MonitoringSummary {
  total: number
  low_confidence_threshold: number
  labels: LabelSummary[]
}

/** The value at quantile q (nearest rank) of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no values')
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

/** `x` to `digits` decimals: what the monitoring answers show of shares, probabilities and divergences. */
export const rounded = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits

/** Per predicted label: how often, how confident and how fast, most frequent first. */
export function summarise(predictions: readonly StoredPrediction[], lowConfidence: number): MonitoringSummary {
  const byLabel = new Map<number, StoredPrediction[]>()
  for (const p of predictions) {
    const list = byLabel.get(p.classIndex)
    if (list) list.push(p)
    else byLabel.set(p.classIndex, [p])
  }
  const labels = [...byLabel.values()].map((list): LabelSummary => {
    const scores = list.flatMap((p) => (p.score === null ? [] : [p.score])).sort((a, b) => a - b)
    const latencies = list.map((p) => p.totalMs).sort((a, b) => a - b)
    return {
      label: list[0]!.label,
      class_index: list[0]!.classIndex,
      count: list.length,
      share: rounded(list.length / predictions.length),
      confidence:
        scores.length === 0
          ? null
          : {
              mean: rounded(scores.reduce((sum, s) => sum + s, 0) / scores.length),
              p50: rounded(quantile(scores, 0.5)),
              p95: rounded(quantile(scores, 0.95))
            },
      latency_ms: { p50: rounded(quantile(latencies, 0.5), 2), p95: rounded(quantile(latencies, 0.95), 2) },
      low_confidence_rate: scores.length === 0 ? null : rounded(scores.filter((s) => s < lowConfidence).length / scores.length)
    }
  })
  labels.sort((a, b) => b.count - a.count || a.class_index - b.class_index)
  return { total: predictions.length, low_confidence_threshold: lowConfidence, labels }
}

/** A window such as "15m", "1h", "7d" or "3600s", in ms. */
export function parseWindow(text: string): number | undefined {
  const match = /^([1-9][0-9]{0,6})(s|m|h|d)$/.exec(text)
  if (!match) return undefined
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd']
  return Number(match[1]) * unit
}
