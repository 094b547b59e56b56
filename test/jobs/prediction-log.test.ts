import { afterAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PredictionLog } from '../../src/prediction-log/log'
import { SqliteStore } from '../../src/prediction-log/sqlite-store'
import { jobForm, resultLines } from '../helpers/jobs'
import { imageBytes } from '../helpers/requests'
import { testApp } from '../helpers/test-app'

const dir = mkdtempSync(join(tmpdir(), 'jobs-prediction-log-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('job images in the prediction log', () => {
  test('each answered job image is a record carrying its job id', async () => {
    const log = new PredictionLog(new SqliteStore(join(dir, 'log.sqlite')), {
      maxBufferedRecords: 1_000,
      maxAgeMs: 86_400_000,
      maxRecords: 10_000
    })
    const app = testApp({ predictionLog: log, jobs: { dataDir: dir } })
    await app.jobs!.start()
    try {
      const files = [
        { name: 'cat.jpg', bytes: await imageBytes('chelsea.jpg') },
        { name: 'coffee.png', bytes: await imageBytes('coffee.png') },
        { name: 'notes.txt', bytes: new TextEncoder().encode('text') }
      ]
      const job = (await (await app.request('/v1/jobs', { method: 'POST', body: jobForm(files) })).json()) as { id: string }
      await resultLines(await app.request(`/v1/jobs/${job.id}/results`))
      await log.flush()
      const db = new Database(join(dir, 'log.sqlite'), { readonly: true })
      const rows = db.query<{ job_id: string | null; request_id: string }, []>('SELECT job_id, request_id FROM predictions').all()
      db.close()
      // The two photos; the text file was never answered with labels.
      expect(rows).toEqual([
        { job_id: job.id, request_id: job.id },
        { job_id: job.id, request_id: job.id }
      ])
    } finally {
      await app.jobs!.stop()
      await log.close()
    }
  })
})
