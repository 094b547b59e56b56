import { AppError } from './errors'

/** The most labels one image may ask for, on every route and as the default (the schemas' maximum too). */
export const MAX_TOP_K = 1000

/**
 * `top_k` given as text (a form field or a query parameter): digits only, 1 to MAX_TOP_K. Number() alone would
 * take `1e1`, ` 3` or `0x10`, which the JSON routes refuse.
 */
export function parseTopK(raw: string): number {
  const topK = /^[0-9]{1,4}$/.test(raw) ? Number(raw) : 0
  if (topK < 1 || topK > MAX_TOP_K) throw new AppError('validation_failed', `top_k must be a whole number from 1 to ${MAX_TOP_K}`)
  return topK
}

/** A model cannot answer more labels than it has. */
export function checkTopKFor(topK: number, model: { name: string; labels: readonly string[] }): void {
  if (topK > model.labels.length)
    throw new AppError('validation_failed', `top_k must be at most ${model.labels.length} for model ${model.name}`)
}
