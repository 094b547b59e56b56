import { Counter, Gauge, type Registry } from 'prom-client'
import { JOB_STATUSES } from '../jobs/job'
import type { JobStore } from '../jobs/store'
import { PREFIX } from './collected'

/** What the job service reports on /metrics. */
export interface JobMetrics {
  /** A job image answered: ok (predictions) or failed (an error line). */
  imageDone(outcome: 'ok' | 'failed'): void
}

/**
 * Bulk jobs on /metrics: jobs by status and the images still waiting, read from the store at scrape time (with a
 * shared store every replica shows the same, and a container of several processes takes the largest); the age of
 * the oldest unfinished job (the queue age an alert watches); and job images answered by this process (its rate is
 * the job throughput).
 */
export function registerJobMetrics(registry: Registry, store: JobStore, inFlight: () => number): JobMetrics {
  // A scrape collects every metric at once: the three gauges below share one read of the store (on Redis, a round
  // trip per unfinished job), not one each.
  let reading: ReturnType<JobStore['counts']> | undefined
  const counts = () =>
    (reading ??= store.counts().finally(() => {
      reading = undefined
    }))
  new Gauge({
    name: `${PREFIX}jobs`,
    // Read from the store the server processes share: each reads the same value.
    aggregator: 'max',
    help: 'Jobs in the store by status (finished ones until they expire).',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const { byStatus } = await counts()
      for (const status of JOB_STATUSES) this.set({ status }, byStatus[status])
    }
  })
  new Gauge({
    name: `${PREFIX}job_images_pending`,
    // Read from the store the server processes share: each reads the same value.
    aggregator: 'max',
    help: 'Images of queued and running jobs without a result yet.',
    registers: [registry],
    async collect() {
      this.set((await counts()).pendingImages)
    }
  })
  new Gauge({
    name: `${PREFIX}job_oldest_age_seconds`,
    // Read from the store the server processes share: each reads the same value.
    aggregator: 'max',
    help: 'Age of the oldest queued or running job (0 when none): how long bulk work has been waiting.',
    registers: [registry],
    async collect() {
      const oldest = (await counts()).oldestUnfinishedMs
      this.set(oldest === null ? 0 : (Date.now() - oldest) / 1000)
    }
  })
  new Gauge({
    name: `${PREFIX}job_images_in_flight`,
    help: 'Job images this process is reading, decoding or running now.',
    registers: [registry],
    collect() {
      this.set(inFlight())
    }
  })
  const images = new Counter({
    name: `${PREFIX}job_images_total`,
    help: 'Job images this process answered: ok (predictions) or failed (an error result line).',
    labelNames: ['outcome'] as const,
    registers: [registry]
  })
  for (const outcome of ['ok', 'failed'] as const) images.inc({ outcome }, 0)
  return { imageDone: (outcome) => images.inc({ outcome }) }
}
