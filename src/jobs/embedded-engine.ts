import { rm } from 'node:fs/promises'
import type { JobEngine, JobWork } from './engine'
import type { Job, JobImage } from './job'
import { JobRunner } from './runner'
import { SqliteJobStore } from './sqlite-job-store'
import { spoolPath } from './spool'

/**
 * One process: jobs in a SQLite file, each job's images in its spool file (where the upload was written, read
 * by offset), worked through by the JobRunner.
 */
export class EmbeddedEngine implements JobEngine {
  readonly store: SqliteJobStore
  private runner?: JobRunner
  private poller?: ReturnType<typeof setInterval>

  constructor(
    databasePath: string,
    private readonly spoolDir: string,
    private readonly options: {
      retentionMs: number
      maxInFlight: number
      /**
       * One of several server processes (BUN_INFER_PROCESSES) on one data folder: only one of them works on the
       * jobs (`works`), and it looks for jobs the others stored every `pollMs`; the rest take uploads and answer reads.
       */
      works?: boolean
      pollMs?: number
    }
  ) {
    this.store = new SqliteJobStore(databasePath, options.retentionMs)
  }

  async keep(): Promise<void> {
    // The spool file stays where it is: it is the job's images.
  }

  read(job: Job, image: JobImage): Promise<Uint8Array> {
    return Bun.file(spoolPath(this.spoolDir, job.id))
      .slice(image.offset, image.offset + image.length)
      .bytes()
  }

  async drop(jobId: string): Promise<void> {
    await rm(spoolPath(this.spoolDir, jobId), { force: true })
  }

  async start(work: JobWork): Promise<void> {
    if (this.options.works === false) return
    this.runner = new JobRunner(this.store, {
      ...work,
      ...this.options,
      hasUpload: (job) => Bun.file(spoolPath(this.spoolDir, job.id)).exists(),
      onFinished: (job) => {
        void this.drop(job.id)
        work.onFinished?.(job)
      }
    })
    this.runner.wake()
    if (this.options.pollMs) this.poller = setInterval(() => this.runner?.wake(), this.options.pollMs)
  }

  async submitted(): Promise<void> {
    this.runner?.wake()
  }

  cancel(jobId: string): void {
    this.runner?.cancel(jobId)
  }

  async pause(): Promise<void> {
    clearInterval(this.poller)
    await this.runner?.stop()
  }

  async stop(): Promise<void> {
    await this.pause()
    await this.store.close()
  }

  get active(): number {
    return this.runner?.active ?? 0
  }
}
