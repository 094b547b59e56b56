import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { RedisClient } from 'bun'
import { imageBytes } from '../helpers/requests'
import { jobForm, jobImagesAnswered, resultLines, type JobFile } from '../helpers/jobs'
import { until } from '../helpers/until'
import { startServerProcess } from '../helpers/server-process'
import { runToExit } from '../../tools/process/launch'
import { startRedisServer, type RedisServer } from '../../tools/process/redis-server'

// Two replicas on one real redis-server with BullMQ: both work on one job, one is SIGKILLed mid-job, and the job
// completes on the other, every image answered once and in order.
let redis: RedisServer
beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(() => redis.stop())

type JobJson = { id: string; status: string; images: { total: number; done: number; failed: number; pending: number } }

describe('bulk jobs on replicas (BullMQ on Redis)', () => {
  test('two replicas share a job; one is SIGKILLed mid-job and the other completes it', async () => {
    const env = { BUN_INFER_JOBS_REDIS_URL: redis.url, BUN_INFER_JOBS_STALLED_MS: '2000' }
    const [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)])
    try {
      const photos = [await imageBytes('chelsea.jpg'), await imageBytes('coffee.png'), await imageBytes('rocket.jpg')]
      const files: JobFile[] = Array.from({ length: 240 }, (_, i) =>
        i === 7 ? { name: 'notes.txt', bytes: new TextEncoder().encode('not an image') } : { name: `p-${i}.jpg`, bytes: photos[i % 3]! }
      )
      const response = await fetch(`${a.url}/v1/jobs`, { method: 'POST', body: jobForm(files) })
      expect(response.status).toBe(202)
      const job = (await response.json()) as JobJson
      // Both replicas take images from the one queue.
      await until(async () => (await jobImagesAnswered(a.url)) > 0 && (await jobImagesAnswered(b.url)) > 0, {
        timeoutMs: 30_000,
        what: 'both replicas answered job images'
      })
      const byA = await jobImagesAnswered(a.url)
      expect(await a.stop('SIGKILL')).not.toBe(0)
      // The job, submitted to A, is read from B; its images claimed by A go back to the queue when their locks expire.
      const lines = await resultLines(await fetch(`${b.url}/v1/jobs/${job.id}/results`))
      expect(lines.map((l) => l.name)).toEqual(files.map((f) => f.name))
      expect(lines[7]!.error!.code).toBe('unsupported_image_format')
      const status = (await (await fetch(`${b.url}/v1/jobs/${job.id}`)).json()) as JobJson
      expect(status.status).toBe('completed')
      expect(status.images).toEqual({ total: 240, done: 239, failed: 1, pending: 0 })
      expect(byA).toBeLessThan(240)
      // The same photo got the same top label on both replicas.
      const cats = lines.filter((l) => l.index % 3 === 0 && l.index !== 7).map((l) => l.predictions![0]!.label)
      expect(new Set(cats).size).toBe(1)
    } finally {
      await a.stop('SIGKILL')
      await b.stop('SIGTERM')
    }
  }, 90_000)

  test('a jobs Redis that may evict keys stops startup with what to do', async () => {
    const client = new RedisClient(redis.url)
    await client.send('CONFIG', ['SET', 'maxmemory-policy', 'allkeys-lru'])
    try {
      const { code, stderr } = await runToExit({ env: { BUN_INFER_JOBS_REDIS_URL: redis.url }, timeoutMs: 30_000 })
      expect(code).toBe(1)
      expect(stderr).toContain('maxmemory-policy allkeys-lru')
      expect(stderr).toContain('noeviction')
    } finally {
      await client.send('CONFIG', ['SET', 'maxmemory-policy', 'noeviction'])
      client.close()
    }
  }, 60_000)
})
