import type { PredictionRecord } from './record'

/** One logged prediction as the monitoring summary reads it back. */
export interface StoredPrediction {
  timeMs: number
  requestId: string
  label: string
  classIndex: number
  score: number | null
  totalMs: number
}

/** Where the prediction log is kept: an embedded SQLite file, or PostgreSQL shared by replicas. */
export interface PredictionStore {
  /** What the store is, for logs: a file path, or a database URL without its password. */
  readonly name: string
  /** Writes every record or rejects (the log counts them as dropped). */
  write(records: readonly PredictionRecord[]): Promise<void>
  /** The predictions of one model version since `sinceMs` (every version when `version` is undefined), oldest first. */
  since(model: string, version: string | undefined, sinceMs: number): Promise<StoredPrediction[]>
  /** The first `n` predictions logged for one model version: the drift reference. */
  first(model: string, version: string, n: number): Promise<StoredPrediction[]>
  /** Deletes records older than `beforeMs`, then the oldest beyond `maxRecords`; resolves with how many went. */
  prune(beforeMs: number, maxRecords: number): Promise<number>
  count(): Promise<number>
  close(): Promise<void>
}

/** The columns of the `predictions` table that a record fills, in order (the id is the store's). */
export const PREDICTION_COLUMNS = [
  'time_ms',
  'request_id',
  'api',
  'model',
  'version',
  'image_index',
  'label',
  'class_index',
  'score',
  'top_k',
  'preprocess_ms',
  'queue_ms',
  'inference_ms',
  'total_ms',
  'batch_size',
  'cached',
  'image_sha256',
  'client',
  'job_id'
] as const

/** A record as a row of the `predictions` table, by column name: what both stores insert. */
export function predictionRow(r: PredictionRecord) {
  return {
    time_ms: r.timeMs,
    request_id: r.requestId,
    api: r.api,
    model: r.model,
    version: r.version,
    image_index: r.imageIndex,
    label: r.label,
    class_index: r.classIndex,
    score: r.score,
    top_k: JSON.stringify(r.top),
    preprocess_ms: r.preprocessMs,
    queue_ms: r.queueMs,
    inference_ms: r.inferenceMs,
    total_ms: r.totalMs,
    batch_size: r.batchSize,
    cached: r.cached,
    image_sha256: r.imageSha256,
    client: r.clientHash,
    job_id: r.jobId
  } satisfies Record<(typeof PREDICTION_COLUMNS)[number], unknown>
}
