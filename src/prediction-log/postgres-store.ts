import { redactedUrl } from '../config/secrets'
import { SQL } from 'bun'
import type { PredictionRecord } from './record'
import { type PredictionStore, predictionRow, type StoredPrediction } from './store'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS predictions (
  id BIGSERIAL PRIMARY KEY,
  time_ms BIGINT NOT NULL,
  request_id TEXT NOT NULL,
  api TEXT NOT NULL,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  image_index INTEGER NOT NULL,
  label TEXT NOT NULL,
  class_index INTEGER NOT NULL,
  score DOUBLE PRECISION,
  top_k JSONB NOT NULL,
  preprocess_ms DOUBLE PRECISION NOT NULL,
  queue_ms DOUBLE PRECISION NOT NULL,
  inference_ms DOUBLE PRECISION NOT NULL,
  total_ms DOUBLE PRECISION NOT NULL,
  batch_size INTEGER NOT NULL,
  cached BOOLEAN NOT NULL,
  image_sha256 TEXT,
  client TEXT NOT NULL,
  job_id TEXT
);
CREATE INDEX IF NOT EXISTS predictions_by_model_time ON predictions (model, version, time_ms);
CREATE INDEX IF NOT EXISTS predictions_by_time ON predictions (time_ms);
`

function stored(rows: unknown): StoredPrediction[] {
  return (rows as Array<Record<string, unknown>>).map((row) => ({
    timeMs: Number(row.time_ms),
    requestId: String(row.request_id),
    label: String(row.label),
    classIndex: Number(row.class_index),
    score: row.score === null ? null : Number(row.score),
    totalMs: Number(row.total_ms)
  }))
}

/**
 * The prediction log in PostgreSQL, shared by every replica: Bun's own SQL client with a pool of `poolSize`
 * connections. A batch of records is one multi-row INSERT. The table is created when missing, so a fresh database
 * needs nothing but a user allowed to create it.
 */
export class PostgresStore implements PredictionStore {
  readonly name: string
  private readonly sql: SQL

  private constructor(url: string, poolSize: number) {
    this.name = redactedUrl(url) ?? 'postgres://…'
    // Short timeouts: a database that is down must fail a write quickly (the log drops and counts), not hold it.
    this.sql = new SQL(url, { max: poolSize, connectionTimeout: 5, idleTimeout: 30 })
  }

  /** Connects and creates the table and its indexes when missing; rejects when the database cannot be reached. */
  static async open(url: string, poolSize: number): Promise<PostgresStore> {
    const store = new PostgresStore(url, poolSize)
    try {
      await store.sql.unsafe(SCHEMA).simple()
    } catch (error) {
      await store.sql.close().catch(() => {})
      throw error
    }
    return store
  }

  async write(records: readonly PredictionRecord[]): Promise<void> {
    await this.sql`INSERT INTO predictions ${this.sql(records.map(predictionRow))}`
  }

  async since(model: string, version: string | undefined, sinceMs: number): Promise<StoredPrediction[]> {
    const rows =
      version === undefined
        ? await this.sql`SELECT time_ms, request_id, label, class_index, score, total_ms FROM predictions
            WHERE model = ${model} AND time_ms >= ${sinceMs} ORDER BY time_ms`
        : await this.sql`SELECT time_ms, request_id, label, class_index, score, total_ms FROM predictions
            WHERE model = ${model} AND version = ${version} AND time_ms >= ${sinceMs} ORDER BY time_ms`
    return stored(rows)
  }

  async first(model: string, version: string, n: number): Promise<StoredPrediction[]> {
    return stored(
      await this.sql`SELECT time_ms, request_id, label, class_index, score, total_ms FROM predictions
        WHERE model = ${model} AND version = ${version} ORDER BY id LIMIT ${n}`
    )
  }

  async prune(beforeMs: number, maxRecords: number): Promise<number> {
    const old = await this.sql`DELETE FROM predictions WHERE time_ms < ${beforeMs}`
    const [cutoff] = await this.sql`SELECT id FROM predictions ORDER BY id DESC LIMIT 1 OFFSET ${maxRecords}`
    const beyond = cutoff ? await this.sql`DELETE FROM predictions WHERE id <= ${cutoff.id}` : { count: 0 }
    return Number(old.count ?? 0) + Number(beyond.count ?? 0)
  }

  async count(): Promise<number> {
    const [row] = await this.sql`SELECT count(*) AS n FROM predictions`
    return Number(row.n)
  }

  async close(): Promise<void> {
    await this.sql.close({ timeout: 2 })
  }
}
