import { topK } from '../inference/postprocess'

/**
 * A score as C++ `std::to_string(float)` prints it (`%f`: six decimals, ties to even, "nan", "inf"), which is
 * how Triton writes the score of a classification string (server src/classification.cc, AddClassResults).
 */
export function formatScore(x: number): string {
  if (Number.isNaN(x)) return 'nan'
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf'
  const scaled = Math.abs(x) * 1e6
  // Beyond 2^53 the integer arithmetic below is not exact; such scores are not scores any more.
  if (scaled >= Number.MAX_SAFE_INTEGER) return x.toFixed(6)
  // For a float32 score, |x| × 10^6 is exact in a double (≤ 24 + 20 significant bits), so a tie is a real tie.
  let n = Math.floor(scaled)
  const fraction = scaled - n
  if (fraction > 0.5 || (fraction === 0.5 && n % 2 === 1)) n += 1
  const sign = x < 0 || Object.is(x, -0) ? '-' : ''
  return `${sign}${Math.floor(n / 1e6)}.${String(n % 1e6).padStart(6, '0')}`
}

/**
 * The classification extension for one image: its top k as "score:index:label" (or "score:index" without
 * labels), best first, scores as the model output them. Triton sorts with std::sort (ties in no set
 * order); here ties keep the lower class index first.
 */
export function classificationStrings(scores: Float32Array, k: number, labels: readonly string[]): string[] {
  return topK(scores, Math.min(k, scores.length), labels).map(({ score, class_index, label }) =>
    label === undefined ? `${formatScore(score)}:${class_index}` : `${formatScore(score)}:${class_index}:${label}`
  )
}
