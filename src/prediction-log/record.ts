import type { Prediction } from '../inference/postprocess'

/** Which API answered. */
export type Api = 'v1' | 'v2'

/** Who asked and through which API: what the route knows of a request and the predictor does not. */
export interface RequestOrigin {
  requestId: string
  /** The client as the rate limit names it (client-id.ts); hashed before it is stored. */
  client: string
  api: Api
  /** The bulk job the image belongs to; absent for a request. */
  jobId?: string
}

/**
 * One answered image, as the prediction log keeps it: never the image itself, only its SHA-256. `top` holds the
 * top classes with probabilities when the answer had them; `score` is the top class's probability, or null when
 * only raw scores were at hand (a cached /v2 answer of a logits model).
 */
export interface PredictionRecord {
  timeMs: number
  requestId: string
  api: Api
  model: string
  version: string
  /** The image's position in its request. */
  imageIndex: number
  label: string
  classIndex: number
  score: number | null
  top: ReadonlyArray<Pick<Prediction, 'label' | 'class_index'> & { score: number | null }>
  preprocessMs: number
  queueMs: number
  inferenceMs: number
  totalMs: number
  /** Images in the batch that ran it; 0 for an answer from the result cache. */
  batchSize: number
  cached: boolean
  imageSha256: string | null
  /** SHA-256 of the client identity, first 16 hex digits: pseudonymous, not anonymous (an IP space can be searched). */
  clientHash: string
  jobId: string | null
}

/** What the predictor hands a record to; the log buffers it and writes it later, off the request path. */
export interface PredictionSink {
  add(record: PredictionRecord): void
}

/** The client identity as it is stored. */
export function hashClient(client: string): string {
  return new Bun.CryptoHasher('sha256').update(client).digest('hex').slice(0, 16)
}
