import type { Job } from './job'

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** A job as GET /v1/jobs/{id} shows it (JobStatusBody). */
export function jobView(job: Job, now = Date.now()) {
  const processed = job.done + job.failed
  const elapsedMs = job.startedMs === null ? 0 : now - job.startedMs
  const eta =
    job.status === 'running' && processed > 0 && elapsedMs > 0
      ? Math.round(((job.total - processed) * elapsedMs) / processed / 100) / 10
      : null
  return {
    id: job.id,
    status: job.status,
    model: job.model,
    model_version: job.version,
    top_k: job.topK,
    images: { total: job.total, done: job.done, failed: job.failed, pending: job.total - processed },
    created_at: iso(job.createdMs)!,
    started_at: iso(job.startedMs),
    finished_at: iso(job.finishedMs),
    expires_at: iso(job.expiresMs),
    eta_seconds: eta,
    error: job.error,
    results_url: `/v1/jobs/${job.id}/results`
  }
}
