import type { Static } from 'elysia'
import type { CacheMode, PredictResult } from '../predictor'
import type { PredictResponse } from '../schemas/predict'

/** `Cache-Control: no-cache` recomputes (and stores the fresh answer); `no-store` neither reads nor writes. */
export function cacheMode(request: Request): CacheMode {
  const header = request.headers.get('cache-control')?.toLowerCase() ?? ''
  if (header.includes('no-store')) return 'off'
  if (header.includes('no-cache')) return 'refresh'
  return 'use'
}

const round = (ms: number) => Math.round(ms * 1000) / 1000

/** The stages, plus `total`: the handler's own time, from before the body is read to the response. */
export function serverTiming(t: PredictResult['timings'], totalMs: number): string {
  return `decode-wait;dur=${round(t.decodeWaitMs)}, preprocess;dur=${round(t.preprocessMs)}, queue;dur=${round(t.queueMs)}, inference;dur=${round(t.inferenceMs)}, total;dur=${round(totalMs)}`
}

/** The JSON answer of a predict request (the shape of PredictResponse in the OpenAPI spec). */
export function toPredictBody(result: PredictResult, requestId: string): Static<typeof PredictResponse> {
  const { timings } = result
  return {
    model: result.model,
    model_version: result.model_version,
    predictions: result.predictions,
    metadata: {
      request_id: requestId,
      decode_wait_ms: round(timings.decodeWaitMs),
      preprocess_ms: round(timings.preprocessMs),
      queue_ms: round(timings.queueMs),
      inference_ms: round(timings.inferenceMs),
      batch_size: Math.max(...timings.batchSizes),
      batch_sizes: timings.batchSizes,
      cached: result.cachedImages === timings.batchSizes.length,
      cached_images: result.cachedImages
    }
  }
}
