import type { Job, JobImage, JobResult, JobStatus } from './job'

/** A stored result line: its image's index, and the line (JSON) or null while the image waits. */
export interface ResultRow {
  index: number
  line: string | null
}

/** What saveResult did: the job after it, and whether this result is the one kept. */
export interface SavedResult {
  job: Job | undefined
  written: boolean
}

/** Where jobs, their image index and their results are kept: embedded SQLite, or Redis for replicas. */
export interface JobStore {
  /** Stores a new job and its images in one step: it exists whole or not at all. */
  create(job: Job, images: readonly JobImage[]): Promise<void>
  get(id: string): Promise<Job | undefined>
  /** Jobs queued or running, oldest first. */
  unfinished(): Promise<Job[]>
  /** Jobs of this client that are queued or running. */
  activeCount(client: string): Promise<number>
  /** Images of a job without a result, from `fromIndex` on, in order, at most `limit`. */
  pendingImages(id: string, fromIndex: number, limit: number): Promise<JobImage[]>
  /**
   * Stores an image's result once (a result already there is kept: at most one per image) and counts it;
   * the job is completed when it was the last. A job that is no longer queued or running takes no result.
   * Returns the job as it is after the write (undefined when it is gone), and whether this result was written.
   */
  saveResult(id: string, result: JobResult): Promise<SavedResult>
  /** Moves a job to `status` if it is in one of `from`, with its times; false when it was not. */
  transition(id: string, from: readonly JobStatus[], status: JobStatus, at: number, expiresMs?: number, error?: string): Promise<boolean>
  /** Result rows from `fromIndex` on, in order, at most `limit`, holes (images still waiting) included. */
  results(id: string, fromIndex: number, limit: number): Promise<ResultRow[]>
  /** Ids of finished jobs whose expiry has passed. */
  expired(now: number): Promise<string[]>
  /** Forgets a job, its images and its results. */
  delete(id: string): Promise<void>
  /** Jobs by status, and images still waiting in unfinished jobs: the gauges. */
  counts(): Promise<{ byStatus: Record<JobStatus, number>; pendingImages: number; oldestUnfinishedMs: number | null }>
  close(): Promise<void>
}
