import { CONFIDENCE_BINS, confidenceBin, confidenceDistribution, jensenShannon, labelDistribution } from './drift'
import { rounded } from './monitoring'
import type { StoredPrediction } from './store'

/** Labels drawn by name in a timeline; the rest are summed as "other". */
export const TIMELINE_LABELS = 8
/** Recent low-confidence predictions listed. */
export const RECENT_LOW_CONFIDENCE = 20

export interface Timeline {
  bucket_seconds: number
  /** Start of each bucket (Unix ms). */
  starts: number[]
  /** Predictions per bucket of the most frequent labels of the window, then every other label together. */
  labels: Array<{ label: string; class_index: number; counts: number[] }>
  /** Jensen–Shannon (bits) at each bucket's end, over the drift window ending there; null without enough data. */
  drift_labels_js: Array<number | null>
  drift_confidence_js: Array<number | null>
}

export interface TimelineInput {
  /** The window's predictions, and before it the drift window's (so the first buckets have a full drift window). */
  rows: readonly StoredPrediction[]
  fromMs: number
  toMs: number
  buckets: number
  /** The version's drift reference; empty or short: no drift. */
  reference: readonly StoredPrediction[]
  referencePredictions: number
  driftWindowMs: number
  minWindowPredictions: number
}

/** What the monitor page draws over time: labels per bucket, and the drift at each bucket's end. */
export function timeline(input: TimelineInput): Timeline {
  const { rows, fromMs, toMs, buckets } = input
  const bucketMs = (toMs - fromMs) / buckets
  const starts = Array.from({ length: buckets }, (_, i) => Math.round(fromMs + i * bucketMs))
  const inWindow = rows.filter((r) => r.timeMs >= fromMs && r.timeMs <= toMs)
  const totals = new Map<number, { label: string; count: number }>()
  for (const r of inWindow) {
    const entry = totals.get(r.classIndex) ?? { label: r.label, count: 0 }
    entry.count++
    totals.set(r.classIndex, entry)
  }
  const named = [...totals.entries()].sort((a, b) => b[1].count - a[1].count || a[0] - b[0]).slice(0, TIMELINE_LABELS)
  const series = new Map(
    named.map(([classIndex, { label }]) => [classIndex, { label, class_index: classIndex, counts: starts.map(() => 0) }])
  )
  const other = { label: 'other', class_index: -1, counts: starts.map(() => 0) }
  for (const r of inWindow) {
    const bucket = Math.min(buckets - 1, Math.floor((r.timeMs - fromMs) / bucketMs))
    ;(series.get(r.classIndex) ?? other).counts[bucket]!++
  }
  const complete = input.reference.length >= input.referencePredictions
  const [refLabels, refConfidence] = [labelDistribution(input.reference), confidenceDistribution(input.reference)]
  const driftAt = (end: number) => {
    if (!complete) return { labels: null, confidence: null }
    const window = rows.filter((r) => r.timeMs > end - input.driftWindowMs && r.timeMs <= end)
    if (window.length < input.minWindowPredictions) return { labels: null, confidence: null }
    const confidence = confidenceDistribution(window)
    return {
      labels: rounded(jensenShannon(refLabels, labelDistribution(window))),
      confidence: confidence.size === 0 || refConfidence.size === 0 ? null : rounded(jensenShannon(refConfidence, confidence))
    }
  }
  const drifts = starts.map((start) => driftAt(start + bucketMs))
  return {
    bucket_seconds: Math.round(bucketMs / 1000),
    starts,
    labels: [...series.values(), ...(other.counts.some((c) => c > 0) ? [other] : [])],
    drift_labels_js: drifts.map((d) => d.labels),
    drift_confidence_js: drifts.map((d) => d.confidence)
  }
}

/** Counts of the top class's probability in ten bins of 0.1 (predictions without one left out). */
export function confidenceHistogram(rows: readonly StoredPrediction[]): number[] {
  const counts = Array.from({ length: CONFIDENCE_BINS }, () => 0)
  for (const { score } of rows) if (score !== null) counts[confidenceBin(score)]!++
  return counts
}

/** The latest predictions below the threshold, newest first: labels and scores only, never an image. */
export function recentLowConfidence(rows: readonly StoredPrediction[], threshold: number) {
  const low: Array<{ time: string; request_id: string; label: string; class_index: number; score: number }> = []
  for (let i = rows.length - 1; i >= 0 && low.length < RECENT_LOW_CONFIDENCE; i--) {
    const r = rows[i]!
    if (r.score !== null && r.score < threshold)
      low.push({
        time: new Date(r.timeMs).toISOString(),
        request_id: r.requestId,
        label: r.label,
        class_index: r.classIndex,
        score: rounded(r.score)
      })
  }
  return low
}
