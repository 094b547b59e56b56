/** What the cache stores for one (image, model, version, top_k): exactly what a worker would have answered. */
export interface CachedPrediction {
  predictions: Array<{ label: string; class_index: number; score: number }>
  model_version: string
}

/** Serialises a prediction for both tiers (the local tier keeps the string so callers cannot mutate it). */
export function encodePrediction(value: CachedPrediction): string {
  return JSON.stringify({
    predictions: value.predictions.map((p) => ({ label: p.label, class_index: p.class_index, score: p.score })),
    model_version: value.model_version
  })
}

/**
 * Parses a stored prediction; undefined when the text is not one (a foreign or corrupt Redis value must
 * read as "not cached", never crash a request or reach a client).
 */
export function decodePrediction(text: string): CachedPrediction | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const { predictions, model_version } = parsed as Record<string, unknown>
  if (typeof model_version !== 'string' || !Array.isArray(predictions)) return undefined
  if (!predictions.every(isPrediction)) return undefined
  return { predictions, model_version }
}

function isPrediction(p: unknown): p is CachedPrediction['predictions'][number] {
  if (typeof p !== 'object' || p === null) return false
  const { label, class_index, score } = p as Record<string, unknown>
  return typeof label === 'string' && Number.isInteger(class_index) && typeof score === 'number'
}
