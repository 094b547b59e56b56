import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { JobWork } from '../../src/jobs/engine'
import type { Job } from '../../src/jobs/job'
import { RedisEngine } from '../../src/jobs/redis-engine'
import { startRedisServer, type RedisServer } from '../../tools/process/redis-server'
import { queuedJob } from '../helpers/jobs'
import { until } from '../helpers/until'

// Two replicas of one deployment (one key prefix) on a real redis-server, working on one job together.
let redis: RedisServer
const dir = mkdtempSync(join(tmpdir(), 'bun-infer-redis-engine-'))
beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
})

const replica = () => new RedisEngine({ url: redis.url, retentionMs: 60_000, concurrency: 2, stalledMs: 5000, prefix: 'replicas' })

/** Stores a job of `count` one-byte images through `engine`, as the job service does, and queues it. */
async function submit(engine: RedisEngine, id: string, count: number): Promise<Job> {
  const spool = join(dir, `${id}.upload`)
  writeFileSync(spool, new Uint8Array(count))
  const { job, images } = queuedJob(id, count)
  await engine.keep(id, images, spool)
  await engine.store.create(job, images)
  await engine.submitted(job, images)
  return job
}

describe('the Redis engine on replicas', () => {
  test('a job both replicas worked on leaves nothing tracked in either, whichever wrote its last result', async () => {
    const engines = [replica(), replica()]
    const classifiedBy = [0, 0]
    // Every image waits until both replicas hold one, so each has images of the job in flight at once.
    let bothBusy!: () => void
    const barrier = new Promise<void>((resolve) => (bothBusy = resolve))
    const work = (r: number): JobWork => ({
      async classify(_job, image) {
        if (++classifiedBy[r]! === 1 && classifiedBy.every((n) => n > 0)) bothBusy()
        await barrier
        return { index: image.index, name: image.name, predictions: [] }
      }
    })
    try {
      await Promise.all(engines.map((engine, r) => engine.start(work(r))))
      const job = await submit(engines[0]!, 'shared', 40)
      await until(async () => (await engines[0]!.store.get(job.id))?.status === 'completed', {
        timeoutMs: 20_000,
        what: 'the job completed'
      })
      expect(classifiedBy.every((n) => n > 0)).toBe(true)
      await until(() => engines.every((engine) => engine.active === 0))
      expect(engines.map((engine) => engine.jobsInFlight)).toEqual([0, 0])
    } finally {
      for (const engine of engines) await engine.stop()
    }
  }, 30_000)
})
