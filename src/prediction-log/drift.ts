import { rounded } from './monitoring'
import type { StoredPrediction } from './store'

/** A distribution over named bins (labels by class index, or confidence bins), as shares summing to 1. */
export type Distribution = Map<number, number>

/** Shares of each top-1 class. */
export function labelDistribution(predictions: readonly StoredPrediction[]): Distribution {
  const counts = new Map<number, number>()
  for (const p of predictions) counts.set(p.classIndex, (counts.get(p.classIndex) ?? 0) + 1)
  return shares(counts, predictions.length)
}

/** Bins of the top class's probability: [0, 0.1), [0.1, 0.2), …, [0.9, 1]. Predictions without one are left out. */
export const CONFIDENCE_BINS = 10

/** The bin of a top-class probability: [0, 0.1) is 0, …, [0.9, 1] is 9. */
export function confidenceBin(score: number): number {
  return Math.min(CONFIDENCE_BINS - 1, Math.max(0, Math.floor(score * CONFIDENCE_BINS)))
}

export function confidenceDistribution(predictions: readonly StoredPrediction[]): Distribution {
  const counts = new Map<number, number>()
  let n = 0
  for (const { score } of predictions) {
    if (score === null) continue
    const bin = confidenceBin(score)
    counts.set(bin, (counts.get(bin) ?? 0) + 1)
    n++
  }
  return shares(counts, n)
}

function shares(counts: Map<number, number>, total: number): Distribution {
  const out: Distribution = new Map()
  if (total === 0) return out
  for (const [bin, count] of counts) out.set(bin, count / total)
  return out
}

/**
 * A share seen in one distribution and not the other would make PSI infinite: every bin of either side gets this
 * floor. Small against a share of one prediction in a thousand, so it only matters for bins one side never saw.
 */
const FLOOR = 1e-4

function bins(a: Distribution, b: Distribution): number[] {
  return [...new Set([...a.keys(), ...b.keys()])]
}

/** Population stability index: Σ (w − r) ln(w / r). Rule of thumb: < 0.1 stable, 0.1–0.25 moderate, > 0.25 a shift. */
export function psi(reference: Distribution, window: Distribution): number {
  let sum = 0
  for (const bin of bins(reference, window)) {
    const r = Math.max(reference.get(bin) ?? 0, FLOOR)
    const w = Math.max(window.get(bin) ?? 0, FLOOR)
    sum += (w - r) * Math.log(w / r)
  }
  return sum
}

/** Jensen–Shannon divergence in bits: 0 for the same distribution, 1 for two with nothing in common. Symmetric, finite. */
export function jensenShannon(reference: Distribution, window: Distribution): number {
  let sum = 0
  for (const bin of bins(reference, window)) {
    const r = reference.get(bin) ?? 0
    const w = window.get(bin) ?? 0
    const m = (r + w) / 2
    if (r > 0) sum += 0.5 * r * Math.log2(r / m)
    if (w > 0) sum += 0.5 * w * Math.log2(w / m)
  }
  return Math.max(0, Math.min(1, sum))
}

export interface DriftMeasures {
  psi: number
  js: number
}

export interface Drift {
  reference_predictions: number
  window_predictions: number
  labels: DriftMeasures
  confidence: DriftMeasures | null
  /** The labels whose share moved most, reference → window. */
  top_shifts: Array<{ label: string; class_index: number; reference_share: number; window_share: number }>
}

/** How far the window's predictions are from the reference's: labels and confidence, PSI and Jensen–Shannon. */
export function drift(reference: readonly StoredPrediction[], window: readonly StoredPrediction[], topShifts = 5): Drift {
  const [refLabels, winLabels] = [labelDistribution(reference), labelDistribution(window)]
  const [refConfidence, winConfidence] = [confidenceDistribution(reference), confidenceDistribution(window)]
  const names = new Map<number, string>()
  for (const p of [...reference, ...window]) names.set(p.classIndex, p.label)
  const shifts = bins(refLabels, winLabels)
    .map((classIndex) => ({
      label: names.get(classIndex) ?? String(classIndex),
      class_index: classIndex,
      reference_share: rounded(refLabels.get(classIndex) ?? 0),
      window_share: rounded(winLabels.get(classIndex) ?? 0)
    }))
    .sort(
      (a, b) => Math.abs(b.window_share - b.reference_share) - Math.abs(a.window_share - a.reference_share) || a.class_index - b.class_index
    )
    .slice(0, topShifts)
  return {
    reference_predictions: reference.length,
    window_predictions: window.length,
    labels: { psi: rounded(psi(refLabels, winLabels)), js: rounded(jensenShannon(refLabels, winLabels)) },
    confidence:
      refConfidence.size === 0 || winConfidence.size === 0
        ? null
        : { psi: rounded(psi(refConfidence, winConfidence)), js: rounded(jensenShannon(refConfidence, winConfidence)) },
    top_shifts: shifts
  }
}
