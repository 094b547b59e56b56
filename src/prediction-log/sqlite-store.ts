import { Database, type Statement } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { PredictionRecord } from './record'
import { PREDICTION_COLUMNS, type PredictionStore, predictionRow, type StoredPrediction } from './store'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS predictions (
  id INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  request_id TEXT NOT NULL,
  api TEXT NOT NULL,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  image_index INTEGER NOT NULL,
  label TEXT NOT NULL,
  class_index INTEGER NOT NULL,
  score REAL,
  top_k TEXT NOT NULL,
  preprocess_ms REAL NOT NULL,
  queue_ms REAL NOT NULL,
  inference_ms REAL NOT NULL,
  total_ms REAL NOT NULL,
  batch_size INTEGER NOT NULL,
  cached INTEGER NOT NULL,
  image_sha256 TEXT,
  client TEXT NOT NULL,
  job_id TEXT
);
CREATE INDEX IF NOT EXISTS predictions_by_model_time ON predictions (model, version, time_ms);
CREATE INDEX IF NOT EXISTS predictions_by_time ON predictions (time_ms);
`

/**
 * The embedded prediction log: one SQLite file through bun:sqlite, in WAL mode so readers (the monitoring API)
 * never wait for the writer, and with a busy timeout so two processes sharing the file take turns. A batch of
 * records is one transaction: one commit per flush, not one per image. bun:sqlite is synchronous: each call runs
 * on the calling thread, behind the promise the store interface asks for.
 */
export class SqliteStore implements PredictionStore {
  private readonly db: Database
  private readonly insert: Statement
  private readonly writeAll: (records: readonly PredictionRecord[]) => void

  readonly name: string

  constructor(readonly path: string) {
    this.name = path
    mkdirSync(dirname(path), { recursive: true })
    this.db = new Database(path, { create: true, strict: true })
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 2000;')
    this.db.exec(SCHEMA)
    // Named parameters are the column names (strict mode: `$time_ms` binds the row's `time_ms`; a boolean as 1 or 0).
    this.insert = this.db.prepare(
      `INSERT INTO predictions (${PREDICTION_COLUMNS.join(', ')}) VALUES (${PREDICTION_COLUMNS.map((c) => `$${c}`).join(', ')})`
    )
    this.writeAll = this.db.transaction((records: readonly PredictionRecord[]) => {
      for (const r of records) this.insert.run(predictionRow(r))
    })
  }

  async write(records: readonly PredictionRecord[]): Promise<void> {
    this.writeAll(records)
  }

  async since(model: string, version: string | undefined, sinceMs: number): Promise<StoredPrediction[]> {
    const sql = `SELECT time_ms AS timeMs, request_id AS requestId, label, class_index AS classIndex, score, total_ms AS totalMs FROM predictions
      WHERE model = $model ${version === undefined ? '' : 'AND version = $version'} AND time_ms >= $since ORDER BY time_ms`
    const params: Record<string, string | number> = version === undefined ? { model, since: sinceMs } : { model, version, since: sinceMs }
    return this.db.query(sql).all(params) as StoredPrediction[]
  }

  async first(model: string, version: string, n: number): Promise<StoredPrediction[]> {
    const sql = `SELECT time_ms AS timeMs, request_id AS requestId, label, class_index AS classIndex, score, total_ms AS totalMs FROM predictions
      WHERE model = $model AND version = $version ORDER BY id LIMIT $n`
    return this.db.query(sql).all({ model, version, n }) as StoredPrediction[]
  }

  async prune(beforeMs: number, maxRecords: number): Promise<number> {
    let deleted = this.db.query('DELETE FROM predictions WHERE time_ms < $before').run({ before: beforeMs }).changes
    const cutoff = this.db.query('SELECT id FROM predictions ORDER BY id DESC LIMIT 1 OFFSET $keep').get({ keep: maxRecords }) as {
      id: number
    } | null
    if (cutoff) deleted += this.db.query('DELETE FROM predictions WHERE id <= $id').run({ id: cutoff.id }).changes
    return deleted
  }

  async count(): Promise<number> {
    return (this.db.query('SELECT count(*) AS n FROM predictions').get() as { n: number }).n
  }

  async close(): Promise<void> {
    this.db.close()
  }
}
