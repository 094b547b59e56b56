import type { Job, JobImage, JobResult } from './job'
import type { JobStore } from './store'

/** What an engine does with each image, and whom it tells. */
export interface JobWork {
  /** Classifies one image: its result line. Rejects only when the signal aborted (cancel, stop). */
  classify(job: Job, image: JobImage, signal: AbortSignal): Promise<JobResult>
  /** Each result written (by this process). */
  onResult?(job: Job, result: JobResult): void
  /** A job this process saw finish. */
  onFinished?(job: Job): void
  onError?(error: unknown): void
}

/**
 * Where jobs are kept and how their images are worked through: embedded (a SQLite file and the spool, one
 * process) or Redis with BullMQ (every replica works on every job). The job service and its routes are the same.
 */
export interface JobEngine {
  readonly store: JobStore
  /**
   * Takes a new job's images from its spool file (at `spool`), so that every worker can read them; called before
   * the job is stored, so a stored job always has its images.
   */
  keep(jobId: string, images: readonly JobImage[], spool: string): Promise<void>
  /** An image's bytes. */
  read(job: Job, image: JobImage): Promise<Uint8Array>
  /** Forgets the images of a job that finished, was cancelled or expired. */
  drop(jobId: string): Promise<void>
  /** Starts working, first on what a stop or a crash left (the unfinished jobs and their waiting images). */
  start(work: JobWork): Promise<void>
  /** A job was just stored: have its images worked on. */
  submitted(job: Job, images: readonly JobImage[]): Promise<void>
  /** Stops this process's work on a job (its status is already cancelled in the store). */
  cancel(jobId: string): void
  /** Starts no more work; what is in flight is finished or left for the next start. The store stays open for reads. */
  pause(): Promise<void>
  /** Pauses, then closes the store. */
  stop(): Promise<void>
  /** Images this process is working on now. */
  readonly active: number
}
