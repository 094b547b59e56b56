import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jobForm, resultLines } from '../helpers/jobs'
import { imageBytes, multipart } from '../helpers/requests'
import { testApp } from '../helpers/test-app'

const dir = mkdtempSync(join(tmpdir(), 'jobs-cache-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('job images and the result cache', () => {
  test('a job reads answers requests cached, and stores none of its own', async () => {
    const app = testApp({ env: { BUN_INFER_MAX_CACHE_ENTRIES: '100' }, jobs: { dataDir: dir } })
    await app.jobs!.start()
    try {
      const [cat, coffee] = [await imageBytes('chelsea.jpg'), await imageBytes('coffee.png')]
      const predicted = async (bytes: Uint8Array) =>
        (
          (await (await app.request('/v1/predict', { method: 'POST', body: multipart([{ bytes }]) })).json()) as {
            metadata: { cached: boolean }
          }
        ).metadata.cached
      expect(await predicted(cat)).toBe(false) // a request stores the cat's answer
      const batchesBefore = app.runner.batches.length
      const job = (await (
        await app.request('/v1/jobs', {
          method: 'POST',
          body: jobForm([
            { name: 'cat.jpg', bytes: cat },
            { name: 'coffee.png', bytes: coffee }
          ])
        })
      ).json()) as { id: string }
      const lines = await resultLines(await app.request(`/v1/jobs/${job.id}/results`))
      expect(lines.map((l) => l.predictions!.length)).toEqual([5, 5])
      // The cat came from the cache: only the coffee ran on a worker.
      expect(app.runner.batches.slice(batchesBefore).reduce((sum, b) => sum + b.batchSize, 0)).toBe(1)
      // The job's coffee was not stored: a request for it runs it.
      expect(await predicted(coffee)).toBe(false)
    } finally {
      await app.jobs!.stop()
    }
  })
})
