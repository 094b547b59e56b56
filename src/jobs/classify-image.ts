import { AppError } from '../errors'
import type { Predictor } from '../predictor'
import type { Job, JobImage, JobResult } from './job'

/** Tries for an image whose worker died under it: a batch neighbour may have been the cause; a third death is its own. */
const WORKER_LOST_ATTEMPTS = 3

export interface JobImageClassifierOptions {
  predictor: Pick<Predictor, 'predict'>
  /** An image's bytes, wherever the engine keeps them. */
  read: (job: Job, image: JobImage) => Promise<Uint8Array>
  maxImageBytes: number
  /** A failure that is not the image's fault (a bug): logged, and the image gets internal_error. */
  onBug?: (error: unknown) => void
}

/**
 * Classifies one image of a job as a request would be (the same decoding, limits, cache and model), at background
 * priority: the result line has its predictions, or the stable code of the error a request would have got.
 */
export function jobImageClassifier({ predictor, read, maxImageBytes, onBug }: JobImageClassifierOptions) {
  return async (job: Job, image: JobImage, signal: AbortSignal): Promise<JobResult> => {
    const line = { index: image.index, name: image.name }
    if (image.length > maxImageBytes)
      return { ...line, error: { code: 'image_too_large', message: `the image is over ${maxImageBytes} bytes` } }
    for (let attempt = 1; ; attempt++) {
      try {
        const bytes = await read(job, image)
        const result = await predictor.predict(job.model, job.version, [bytes], {
          topK: job.topK,
          signal,
          cache: 'read',
          priority: 'background',
          origin: { requestId: job.id, client: job.client, api: 'v1', jobId: job.id }
        })
        return { ...line, predictions: result.predictions[0]! }
      } catch (error) {
        if (signal.aborted) throw error
        // A worker that died under the batch: a request would be told to retry, so the job retries for it.
        if (error instanceof AppError && error.code === 'worker_lost' && attempt < WORKER_LOST_ATTEMPTS) continue
        if (error instanceof AppError) return { ...line, error: { code: error.code, message: error.message } }
        onBug?.(error)
        return { ...line, error: { code: 'internal_error', message: 'the image could not be classified' } }
      }
    }
  }
}
