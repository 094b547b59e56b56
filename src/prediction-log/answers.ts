import { softmax, topK, type Prediction } from '../inference/postprocess'
import type { ModelSpec } from '../models/catalog'
import { hashClient, type PredictionRecord, type RequestOrigin } from './record'

/** Top classes kept per record. */
export const LOGGED_TOP_K = 5

/** One answered image: its top classes, with probabilities when known (null: raw scores of a logits model only). */
export interface AnsweredImage {
  top: ReadonlyArray<Pick<Prediction, 'label' | 'class_index'> & { score: number | null }>
  batchSize: number
  cached: boolean
  imageSha256: string | null
}

/** The image's top classes with probabilities, from every score the model gave it. */
export function topFromScores(model: ModelSpec, scores: Float32Array): Prediction[] {
  return topK(model.manifest.output.kind === 'logits' ? softmax(scores) : scores, LOGGED_TOP_K, model.labels)
}

/**
 * The top classes of an answer as the log keeps them. Answers with probabilities (softmaxed logits, or a
 * probabilities model) keep their scores; raw logits (a /v2 answer from the cache) keep only their labels.
 */
export function topOfAnswer(model: ModelSpec, predictions: readonly Prediction[], rawScores: boolean): AnsweredImage['top'] {
  const top = predictions.slice(0, LOGGED_TOP_K)
  if (rawScores && model.manifest.output.kind === 'logits')
    return top.map((p) => ({ label: p.label, class_index: p.class_index, score: null }))
  return top
}

/** The records of one request's answered images. */
export function recordsOf(
  model: ModelSpec,
  origin: RequestOrigin,
  images: readonly AnsweredImage[],
  timings: { preprocessMs: number; queueMs: number; inferenceMs: number },
  totalMs: number
): PredictionRecord[] {
  const timeMs = Date.now()
  const clientHash = hashClient(origin.client)
  return images.map((image, imageIndex) => {
    const first = image.top[0]!
    return {
      timeMs,
      requestId: origin.requestId,
      api: origin.api,
      model: model.name,
      version: String(model.version),
      imageIndex,
      label: first.label,
      classIndex: first.class_index,
      score: first.score,
      top: image.top,
      // A cached image cost no stage: its timings are the request's, for the computed images beside it.
      preprocessMs: image.cached ? 0 : timings.preprocessMs,
      queueMs: image.cached ? 0 : timings.queueMs,
      inferenceMs: image.cached ? 0 : timings.inferenceMs,
      totalMs,
      batchSize: image.batchSize,
      cached: image.cached,
      imageSha256: image.imageSha256,
      clientHash,
      jobId: origin.jobId ?? null
    }
  })
}
