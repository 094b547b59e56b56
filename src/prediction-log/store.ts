import type { PredictionRecord } from './record'

/** One logged prediction as the monitoring summary reads it back. */
export interface StoredPrediction {
  timeMs: number
  label: string
  classIndex: number
  score: number | null
  totalMs: number
}

/** Where the prediction log is kept. Writes come in batches from the log's buffer. */
export interface PredictionStore {
  /** Writes every record or throws (the log counts them as dropped). */
  write(records: readonly PredictionRecord[]): void
  /** The predictions of one model version since `sinceMs` (every version when `version` is undefined). */
  since(model: string, version: string | undefined, sinceMs: number): StoredPrediction[]
  /** Deletes records older than `beforeMs`, then the oldest beyond `maxRecords`; returns how many went. */
  prune(beforeMs: number, maxRecords: number): number
  count(): number
  close(): void
}
