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
