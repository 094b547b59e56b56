import { afterAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runToExit, SERVER_CMD } from '../../tools/process/launch'
import { imageBytes, multipart, postJson, type PredictBody } from '../helpers/requests'
import { startServerProcess } from '../helpers/server-process'

// A real server with the embedded log on (the default): real photos in, SIGTERM, and the SQLite file holds every
// answered image with the label it was given.
const dataDir = mkdtempSync(join(tmpdir(), 'prediction-log-e2e-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe('the prediction log on a real server', () => {
  test('every image answered before SIGTERM is in the log with its label; the metrics name them at once', async () => {
    // Records wait a minute before they are written: only the graceful stop can have written them.
    const server = await startServerProcess({
      BUN_INFER_DATA_DIR: dataDir,
      BUN_INFER_MAX_CACHE_ENTRIES: '0',
      BUN_INFER_PREDICTION_LOG_FLUSH_MS: '60000'
    })
    const cat = await imageBytes('chelsea.jpg')
    const coffee = await imageBytes('coffee.png')
    const answers: PredictBody[] = []
    try {
      // 12 concurrent requests of 1–2 photos: batches form, and the log is written while requests are in flight.
      const bodies = Array.from({ length: 12 }, (_, i) => multipart(i % 3 === 0 ? [{ bytes: cat }, { bytes: coffee }] : [{ bytes: cat }]))
      const responses = await Promise.all(bodies.map((body) => fetch(`${server.url}/v1/predict`, { method: 'POST', body })))
      for (const response of responses) {
        expect(response.status).toBe(200)
        answers.push((await response.json()) as PredictBody)
      }
      const v2 = await postJson(`${server.url}/v2/models/shufflenetv2/infer`, {
        inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [Buffer.from(cat).toString('base64')] }],
        outputs: [{ name: 'output', parameters: { classification: 1 } }]
      })
      expect(v2.status).toBe(200)
      const summary = (await (await fetch(`${server.url}/v1/models/mobilenetv2/monitoring?window=1h`)).json()) as {
        total: number
        labels: Array<{ label: string; count: number }>
      }
      // Nothing written yet: the records wait in memory for the flush interval.
      expect(summary.total).toBe(0)
      const metrics = await (await fetch(`${server.url}/metrics`)).text()
      const catLabel = answers[1]!.predictions[0]![0]!.label
      expect(metrics).toMatch(new RegExp(`bun_infer_predictions_total\\{model="mobilenetv2",version="1",label="${catLabel}"\\} \\d+`))
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0)
    }
    const db = new Database(join(dataDir, 'prediction-log.sqlite'), { readonly: true })
    const rows = db.query('SELECT request_id, api, model, image_index, label FROM predictions ORDER BY id').all() as Array<{
      request_id: string
      api: string
      model: string
      image_index: number
      label: string
    }>
    db.close()
    const expected = answers.flatMap((answer) => answer.predictions.map((top, i) => `${answer.metadata.request_id}/${i}/${top[0]!.label}`))
    const logged = rows.filter((r) => r.api === 'v1').map((r) => `${r.request_id}/${r.image_index}/${r.label}`)
    expect(logged.sort()).toEqual(expected.sort())
    expect(rows.filter((r) => r.api === 'v2').map((r) => r.model)).toEqual(['shufflenetv2'])
  }, 60_000)

  test('a data folder that cannot be made stops startup with one line that says what to do', async () => {
    // Inside a plain file: no folder can be made there, even by root (chmod would not stop root).
    const file = join(dataDir, 'not-a-folder')
    await Bun.write(file, 'x')
    const run = await runToExit({
      cmd: SERVER_CMD,
      env: { BUN_INFER_DATA_DIR: join(file, 'data'), BUN_INFER_LOG_LEVEL: 'error' },
      timeoutMs: 30_000
    })
    const output = run.stdout + run.stderr
    expect(run.code).not.toBe(0)
    expect(output).toContain('cannot open the prediction log')
    expect(output).toContain('BUN_INFER_PREDICTION_LOG=off')
  })
})
