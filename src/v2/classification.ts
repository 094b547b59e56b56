import type { Prediction } from '../inference/postprocess'

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
  // A score of exactly -0 prints "0.000000" (glibc would print "-0.000000"): the result cache stores JSON,
  // which has no -0, and a cached answer must read the same as a computed one.
  const sign = x < 0 ? '-' : ''
  return `${sign}${Math.floor(n / 1e6)}.${String(n % 1e6).padStart(6, '0')}`
}

/**
 * The classification extension for one image: its top classes (best first, scores as the model output
 * them) as "score:index:label", or "score:index" without a label. Triton sorts with std::sort (ties in no
 * set order); topK here keeps the lower class index first.
 */
export function classificationStrings(top: readonly Prediction[]): string[] {
  return top.map(({ score, class_index, label }) =>
    label === undefined ? `${formatScore(score)}:${class_index}` : `${formatScore(score)}:${class_index}:${label}`
  )
}
