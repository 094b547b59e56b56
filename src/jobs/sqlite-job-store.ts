import { Database } from 'bun:sqlite'
import { JOB_STATUSES, type Job, type JobImage, type JobResult, type JobStatus } from './job'
import type { JobStore, ResultRow, SavedResult } from './store'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, status TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, top_k INTEGER NOT NULL,
  total INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, client TEXT NOT NULL,
  created_ms INTEGER NOT NULL, started_ms INTEGER, finished_ms INTEGER, expires_ms INTEGER, error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, created_ms);
CREATE TABLE IF NOT EXISTS job_images (
  job_id TEXT NOT NULL, idx INTEGER NOT NULL, name TEXT NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL,
  result TEXT, PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;
`

interface JobRow {
  id: string
  status: JobStatus
  model: string
  version: string
  top_k: number
  total: number
  done: number
  failed: number
  client: string
  created_ms: number
  started_ms: number | null
  finished_ms: number | null
  expires_ms: number | null
  error: string | null
}

const toJob = (r: JobRow): Job => ({
  id: r.id,
  status: r.status,
  model: r.model,
  version: r.version,
  topK: r.top_k,
  total: r.total,
  done: r.done,
  failed: r.failed,
  client: r.client,
  createdMs: r.created_ms,
  startedMs: r.started_ms,
  finishedMs: r.finished_ms,
  expiresMs: r.expires_ms,
  error: r.error
})

/**
 * The embedded job store: one SQLite file (WAL), so a job accepted survives a stop or a crash of the process.
 * Results are rows beside their images; each is written once.
 */
export class SqliteJobStore implements JobStore {
  private readonly db: Database

  constructor(
    path: string,
    /** How long a finished job stays, ms. */
    private readonly retentionMs: number
  ) {
    this.db = new Database(path, { create: true, strict: true })
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 2000;')
    this.db.exec(SCHEMA)
  }

  async create(job: Job, images: readonly JobImage[]): Promise<void> {
    const insertJob = this.db.prepare(
      `INSERT INTO jobs (id, status, model, version, top_k, total, client, created_ms)
       VALUES ($id, $status, $model, $version, $topK, $total, $client, $createdMs)`
    )
    const insertImage = this.db.prepare(
      'INSERT INTO job_images (job_id, idx, name, offset, length) VALUES ($jobId, $index, $name, $offset, $length)'
    )
    this.db.transaction(() => {
      const { id, status, model, version, topK, total, client, createdMs } = job
      insertJob.run({ id, status, model, version, topK, total, client, createdMs })
      for (const { index, name, offset, length } of images) insertImage.run({ jobId: id, index, name, offset, length })
    })()
  }

  async get(id: string): Promise<Job | undefined> {
    const row = this.db.query<JobRow, [string]>('SELECT * FROM jobs WHERE id = ?').get(id)
    return row ? toJob(row) : undefined
  }

  async unfinished(): Promise<Job[]> {
    return this.db.query<JobRow, []>("SELECT * FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_ms, id").all().map(toJob)
  }

  async activeCount(client: string): Promise<number> {
    return this.db
      .query<{ n: number }, [string]>("SELECT count(*) AS n FROM jobs WHERE client = ? AND status IN ('queued', 'running')")
      .get(client)!.n
  }

  async pendingImages(id: string, fromIndex: number, limit: number): Promise<JobImage[]> {
    return this.db
      .query<JobImage, [string, number, number]>(
        'SELECT idx AS "index", name, offset, length FROM job_images WHERE job_id = ? AND idx >= ? AND result IS NULL ORDER BY idx LIMIT ?'
      )
      .all(id, fromIndex, limit)
  }

  async saveResult(id: string, result: JobResult): Promise<SavedResult> {
    const counter = 'error' in result ? 'failed' : 'done'
    const now = Date.now()
    return this.db.transaction(() => {
      // A job no longer queued or running (cancelled, failed) takes no result: what it holds is frozen when it finishes.
      const written = this.db
        .query(
          `UPDATE job_images SET result = ? WHERE job_id = ? AND idx = ? AND result IS NULL
           AND (SELECT status FROM jobs WHERE id = job_id) IN ('queued', 'running')`
        )
        .run(JSON.stringify(result), id, result.index)
      if (written.changes === 1) this.db.query(`UPDATE jobs SET ${counter} = ${counter} + 1 WHERE id = ?`).run(id)
      // The last image completes the job (a cancelled one stays cancelled).
      this.db
        .query(
          `UPDATE jobs SET status = 'completed', finished_ms = ?, expires_ms = ?
           WHERE id = ? AND status IN ('queued', 'running') AND done + failed = total`
        )
        .run(now, now + this.retentionMs, id)
      const row = this.db.query<JobRow, [string]>('SELECT * FROM jobs WHERE id = ?').get(id)
      return { job: row ? toJob(row) : undefined, written: written.changes === 1 }
    })()
  }

  async transition(
    id: string,
    from: readonly JobStatus[],
    status: JobStatus,
    at: number,
    expiresMs?: number,
    error?: string
  ): Promise<boolean> {
    const time = status === 'running' ? 'started_ms' : 'finished_ms'
    const placeholders = from.map(() => '?').join(', ')
    const changed = this.db
      .query(
        `UPDATE jobs SET status = ?, ${time} = ?, expires_ms = ?, error = coalesce(?, error) WHERE id = ? AND status IN (${placeholders})`
      )
      .run(status, at, expiresMs ?? null, error ?? null, id, ...from)
    return changed.changes === 1
  }

  async results(id: string, fromIndex: number, limit: number): Promise<ResultRow[]> {
    return this.db
      .query<ResultRow, [string, number, number]>(
        'SELECT idx AS "index", result AS line FROM job_images WHERE job_id = ? AND idx >= ? ORDER BY idx LIMIT ?'
      )
      .all(id, fromIndex, limit)
  }

  async expired(now: number): Promise<string[]> {
    return this.db
      .query<{ id: string }, [number]>('SELECT id FROM jobs WHERE expires_ms IS NOT NULL AND expires_ms <= ?')
      .all(now)
      .map((row) => row.id)
  }

  async delete(id: string): Promise<void> {
    this.db.transaction(() => {
      this.db.query('DELETE FROM job_images WHERE job_id = ?').run(id)
      this.db.query('DELETE FROM jobs WHERE id = ?').run(id)
    })()
  }

  async counts() {
    const byStatus = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>
    for (const { status, n } of this.db
      .query<{ status: JobStatus; n: number }, []>('SELECT status, count(*) AS n FROM jobs GROUP BY status')
      .all())
      byStatus[status] = n
    const open = this.db
      .query<{ pending: number | null; oldest: number | null }, []>(
        "SELECT sum(total - done - failed) AS pending, min(created_ms) AS oldest FROM jobs WHERE status IN ('queued', 'running')"
      )
      .get()!
    return { byStatus, pendingImages: open.pending ?? 0, oldestUnfinishedMs: open.oldest }
  }

  async close(): Promise<void> {
    this.db.close()
  }
}
