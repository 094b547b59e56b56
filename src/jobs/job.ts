import type { Prediction } from '../inference/postprocess'
import type { SpooledImage } from './tar-index'

export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const
export type JobStatus = (typeof JOB_STATUSES)[number]

/** Statuses after which nothing more happens to a job but its expiry. */
export const isFinished = (status: JobStatus) => status === 'completed' || status === 'failed' || status === 'cancelled'

/** A job as its store keeps it. Times are ms since the epoch. */
export interface Job {
  id: string
  status: JobStatus
  model: string
  /** The model version the job runs on, fixed when it is accepted. */
  version: string
  topK: number
  total: number
  /** Images answered with predictions. */
  done: number
  /** Images answered with an error (undecodable, too large…); they do not fail the job. */
  failed: number
  /** Who submitted it, as the per-client limits name clients (client-id.ts). */
  client: string
  createdMs: number
  startedMs: number | null
  finishedMs: number | null
  /** When a finished job and its results are deleted. */
  expiresMs: number | null
  /** Why the whole job failed (its upload is gone), when it did. */
  error: string | null
}

/** A job image: its place in submission order and where its bytes are in the job's spool file. */
export interface JobImage extends SpooledImage {
  index: number
}

/** One line of a job's results, in submission order: the image's predictions, or the error it got. */
export type JobResult = { index: number; name: string } & ({ predictions: Prediction[] } | { error: { code: string; message: string } })
