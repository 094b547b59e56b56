export interface Prediction {
  label: string
  class_index: number
  score: number
}

/** Numerically stable softmax (subtracts the max first). Indexed loops: `for…of` over a typed array is slower (an iterator per element). */
export function softmax(logits: Float32Array): Float32Array {
  let max = -Infinity
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!
  const out = new Float32Array(logits.length)
  let sum = 0
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! - max)
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / sum
  return out
}

/** The k highest scores, best first; ties keep the lower class index first. */
export function topK(scores: Float32Array, k: number, labels: readonly string[]): Prediction[] {
  const best: number[] = []
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i]!
    if (best.length === k && score <= scores[best[k - 1]!]!) continue
    let at = best.length
    while (at > 0 && scores[best[at - 1]!]! < score) at--
    best.splice(at, 0, i)
    if (best.length > k) best.pop()
  }
  return best.map((i) => ({ label: labels[i]!, class_index: i, score: scores[i]! }))
}
