import { describe, expect, test } from 'bun:test'
import { Registry } from 'prom-client'
import { registerJobMetrics } from '../../src/metrics/jobs'
import type { JobStore } from '../../src/jobs/store'

describe('job metrics', () => {
  test('one scrape reads the job store once, for every gauge that shows it', async () => {
    let reads = 0
    const store = {
      counts: async () => {
        reads++
        return {
          byStatus: { queued: 1, running: 2, completed: 3, failed: 0, cancelled: 0 },
          pendingImages: 7,
          oldestUnfinishedMs: Date.now()
        }
      }
    } as unknown as JobStore
    const registry = new Registry()
    registerJobMetrics(registry, store, () => 0)
    const text = await registry.metrics()
    expect(text).toContain('bun_infer_jobs{status="running"} 2')
    expect(text).toContain('bun_infer_job_images_pending 7')
    expect(reads).toBe(1)
    await registry.metrics()
    expect(reads).toBe(2) // the next scrape reads it afresh
  })
})
