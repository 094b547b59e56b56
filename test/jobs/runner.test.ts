import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Job, JobResult } from '../../src/jobs/job'
import { JobRunner } from '../../src/jobs/runner'
import { SqliteJobStore } from '../../src/jobs/sqlite-job-store'
import { queuedJob } from '../helpers/jobs'
import { until } from '../helpers/until'

const dir = mkdtempSync(join(tmpdir(), 'bun-infer-runner-test-'))
const store = new SqliteJobStore(join(dir, 'jobs.sqlite'), 60_000)
afterAll(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

let created = 0
async function addJob(count: number): Promise<Job> {
  created++
  const { job, images } = queuedJob(`job-${created}`, count, Date.now() + created) // oldest first, in this order
  await store.create(job, images)
  return job
}

describe('the job runner', () => {
  test('forgets a cancelled job at its next look: what it remembers stays bounded by the unfinished jobs', async () => {
    // The first job's images wait until released; the others are answered at once.
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const finished = new Set<string>()
    let onFinished = () => {}
    const runner = new JobRunner(store, {
      maxInFlight: 4,
      retentionMs: 60_000,
      hasUpload: async () => true,
      async classify(job, image, signal): Promise<JobResult> {
        if (job.id === first.id) await Promise.race([held, new Promise((_, reject) => signal.addEventListener('abort', reject))])
        return { index: image.index, name: image.name, predictions: [] }
      },
      onFinished: (job) => {
        finished.add(job.id)
        onFinished()
      }
    })
    const first = await addJob(2)
    runner.wake()
    await until(() => runner.active === 2)
    expect(runner.handedOutJobs).toBe(1)

    // Cancelled the way the service does it: the store first, then the engine.
    expect(await store.transition(first.id, ['queued', 'running'], 'cancelled', Date.now())).toBe(true)
    runner.cancel(first.id)
    release()

    for (let i = 0; i < 3; i++) {
      const job = await addJob(3)
      const done = new Promise<void>((resolve) => (onFinished = () => finished.has(job.id) && resolve()))
      runner.wake()
      await done
      expect((await store.get(job.id))?.status).toBe('completed')
    }
    expect((await store.get(first.id))?.done).toBe(0)
    expect(runner.handedOutJobs).toBe(0)
    await runner.stop()
  })
})
