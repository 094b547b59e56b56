import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PredictionLog } from '../../../src/prediction-log/log'
import { hashClient } from '../../../src/prediction-log/record'
import { SqliteStore } from '../../../src/prediction-log/sqlite-store'
import { base64, imageBytes, multipart, type ErrorJson, type PredictBody } from '../../helpers/requests'
import { testApp } from '../../helpers/test-app'

const dir = mkdtempSync(join(tmpdir(), 'monitoring-route-'))
const store = new SqliteStore(join(dir, 'log.sqlite'))
const log = new PredictionLog(store, { maxBufferedRecords: 1_000, maxAgeMs: 86_400_000, maxRecords: 10_000 })
const app = testApp({ predictionLog: log })
const cat = await imageBytes('chelsea.jpg')
const coffee = await imageBytes('coffee.png')
afterAll(async () => {
  await log.close()
  rmSync(dir, { recursive: true, force: true })
})

interface Summary {
  model: string
  version: string | null
  total: number
  labels: Array<{ label: string; class_index: number; count: number; share: number; confidence: { mean: number } | null }>
}

const predict = async (images: Uint8Array[]) => {
  const response = await app.request('/v1/predict', { method: 'POST', body: multipart(images.map((bytes) => ({ bytes }))) })
  expect(response.status).toBe(200)
  return (await response.json()) as PredictBody
}

describe('every answered image is logged, and the summary reads the log', () => {
  test('/v1 and /v2 answers become records with their top classes, request id, digest and hashed client', async () => {
    const first = await predict([cat, coffee])
    const v2 = await app.request('/v2/models/mobilenetv2/infer', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'v2-request' },
      body: JSON.stringify({
        inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [base64(cat)] }],
        outputs: [{ name: 'output', parameters: { classification: 2 } }]
      })
    })
    expect(v2.status).toBe(200)
    await log.flush()
    const rows = await store.since('mobilenetv2', '1', 0)
    expect(rows).toHaveLength(3)
    expect(rows.map((r) => r.label).sort()).toEqual(
      [first.predictions[0]![0]!.label, first.predictions[1]![0]!.label, first.predictions[0]![0]!.label].sort()
    )
    const raw = (await import('bun:sqlite')).Database
    const db = new raw(join(dir, 'log.sqlite'), { readonly: true })
    const records = db
      .query('SELECT request_id, api, image_index, image_sha256, client, score, top_k FROM predictions ORDER BY id')
      .all() as Array<Record<string, unknown>>
    db.close()
    const sha = (bytes: Uint8Array) => new Bun.CryptoHasher('sha256').update(bytes).digest('hex')
    expect(records.map((r) => [r.request_id, r.api, r.image_index, r.image_sha256])).toEqual([
      [first.metadata.request_id, 'v1', 0, sha(cat)],
      [first.metadata.request_id, 'v1', 1, sha(coffee)],
      ['v2-request', 'v2', 0, sha(cat)]
    ])
    expect(records[0]!.client).toBe(hashClient('ip:unknown')) // app.handle has no socket: the client is unknown
    // /v1 logs the probabilities it answered; /v2's raw logits are softmaxed for the log, so both are probabilities.
    expect(records[0]!.score).toBeCloseTo(first.predictions[0]![0]!.score, 6)
    expect(records[2]!.score).toBeCloseTo(records[0]!.score as number, 6)
    expect(JSON.parse(records[0]!.top_k as string)).toEqual(first.predictions[0]!.slice(0, 5))
  })

  test('GET /v1/models/{name}/monitoring: per label, most frequent first, counts adding up to the images', async () => {
    await predict([cat, cat, cat])
    await log.flush()
    const response = await app.request('/v1/models/mobilenetv2/monitoring?window=1h')
    expect(response.status).toBe(200)
    const summary = (await response.json()) as Summary
    expect(summary.model).toBe('mobilenetv2')
    expect(summary.version).toBeNull()
    expect(summary.total).toBe(6)
    expect(summary.labels.reduce((sum, l) => sum + l.count, 0)).toBe(6)
    expect(summary.labels[0]!.count).toBeGreaterThanOrEqual(summary.labels.at(-1)!.count)
    expect(summary.labels.reduce((sum, l) => sum + l.share, 0)).toBeCloseTo(1, 3)
    const versioned = (await (await app.request('/v1/models/mobilenetv2/monitoring?version=1&window=15m')).json()) as Summary
    expect([versioned.version, versioned.total]).toEqual(['1', 6])
    const other = (await (await app.request('/v1/models/shufflenetv2/monitoring')).json()) as Summary
    expect(other.total).toBe(0)
  })

  test('?timeline=N: the window in N buckets, the confidence histogram and the recent low-confidence answers', async () => {
    const response = await app.request('/v1/models/mobilenetv2/monitoring?window=1h&timeline=6&low_confidence=0.99')
    const body = (await response.json()) as Summary & {
      timeline: { starts: number[]; labels: Array<{ counts: number[] }>; drift_labels_js: unknown[] }
      confidence_histogram: number[]
      recent_low_confidence: Array<{ score: number; request_id: string }>
    }
    expect(body.timeline.starts).toHaveLength(6)
    expect(body.timeline.labels.flatMap((l) => l.counts).reduce((a, b) => a + b, 0)).toBe(6)
    expect(body.timeline.drift_labels_js).toEqual([null, null, null, null, null, null]) // no reference of 1,000 yet
    expect(body.confidence_histogram).toHaveLength(10)
    expect(body.confidence_histogram.reduce((a, b) => a + b, 0)).toBe(6)
    expect(body.recent_low_confidence.length).toBeGreaterThan(0)
    for (const low of body.recent_low_confidence) expect(low.score).toBeLessThan(0.99)
    expect((await app.request('/v1/models/mobilenetv2/monitoring?timeline=1')).status).toBe(422)
    expect((await app.request('/v1/models/mobilenetv2/monitoring?timeline=2.5')).status).toBe(422)
  })

  test('the label counter and confidence histogram follow the answers', async () => {
    const metrics = await (await app.request('/metrics')).text()
    const total = metrics
      .split('\n')
      .filter((line) => line.startsWith('bun_infer_predictions_total{model="mobilenetv2",version="1"'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0)
    expect(total).toBe(6)
    expect(metrics).toContain('bun_infer_prediction_confidence_count{model="mobilenetv2",version="1"} 6')
    expect(metrics).toContain('bun_infer_prediction_log_records_total{outcome="written"} 6')
  })

  test('a bad window is 422, an unknown model 404, and without a log 409 prediction_log_off', async () => {
    const code = async (path: string, on = app) => {
      const response = await on.request(path)
      return [response.status, ((await response.json()) as ErrorJson).error.code]
    }
    expect(await code('/v1/models/mobilenetv2/monitoring?window=forever')).toEqual([422, 'validation_failed'])
    expect(await code('/v1/models/mobilenetv2/monitoring?window=60d')).toEqual([422, 'validation_failed'])
    expect(await code('/v1/models/nope/monitoring')).toEqual([404, 'model_not_found'])
    expect(await code('/v1/models/mobilenetv2/monitoring?version=9')).toEqual([404, 'model_version_not_found'])
    expect(await code('/v1/models/mobilenetv2/monitoring', testApp())).toEqual([409, 'prediction_log_off'])
  })
})

const photos = await Promise.all(['chelsea.jpg', 'coffee.png', 'rocket.jpg', 'chelsea.png'].map(imageBytes))

describe('GET /v1/models/{name}/drift on the real request path', () => {
  const THRESHOLD = 0.2 // the shipped alert's (deploy/prometheus/alerts.yml; test/prediction-log/drift.test.ts reads it there)
  const env = { BUN_INFER_DRIFT_REFERENCE_PREDICTIONS: '10', BUN_INFER_DRIFT_MIN_WINDOW_PREDICTIONS: '5' }

  interface DriftReport {
    status: string
    reference_predictions: number
    window_predictions: number
    labels: { psi: number; js: number } | null
    top_shifts: Array<{ class_index: number; window_share: number }>
  }

  async function scenario(after: Uint8Array[]) {
    const folder = mkdtempSync(join(tmpdir(), 'drift-route-'))
    const driftLog = new PredictionLog(new SqliteStore(join(folder, 'log.sqlite')), {
      maxBufferedRecords: 1_000,
      maxAgeMs: 86_400_000,
      maxRecords: 10_000
    })
    const drifting = testApp({ env, predictionLog: driftLog })
    const send = async (images: Uint8Array[]) => {
      const response = await drifting.request('/v1/predict', { method: 'POST', body: multipart(images.map((bytes) => ({ bytes }))) })
      expect(response.status).toBe(200)
      return (await response.json()) as PredictBody
    }
    const report = async () => {
      await driftLog.flush()
      return (await (await drifting.request('/v1/models/mobilenetv2/drift')).json()) as DriftReport
    }
    try {
      await send(photos)
      expect((await report()).status).toBe('reference_incomplete') // 4 of 10
      for (let i = 0; i < 2; i++) await send(photos) // the reference: the first 10 of 12 mixed photos
      for (let i = 0; i < after.length; i += 4) await send(after.slice(i, i + 4))
      const answer = await send([photos[0]!])
      return { report: await report(), catClass: answer.predictions[0]![0]!.class_index }
    } finally {
      await driftLog.close()
      rmSync(folder, { recursive: true, force: true })
    }
  }

  test('more of the mixed photos stays under the alert threshold', async () => {
    const { report } = await scenario(Array.from({ length: 40 }, (_, i) => photos[i % 4]!))
    expect(report.status).toBe('computed')
    expect(report.reference_predictions).toBe(10)
    expect(report.window_predictions).toBe(53)
    expect(report.labels!.js).toBeLessThan(THRESHOLD)
  })

  test('only cat photos after the mixed reference crosses it, and the cat is the label that moved most', async () => {
    const { report, catClass } = await scenario(Array.from({ length: 40 }, () => photos[0]!))
    expect(report.labels!.js).toBeGreaterThan(THRESHOLD)
    expect(report.top_shifts[0]!.class_index).toBe(catClass)
  })

  test('off: 409; an unknown version: 404', async () => {
    expect((await testApp().request('/v1/models/mobilenetv2/drift')).status).toBe(409)
    expect((await app.request('/v1/models/mobilenetv2/drift?version=7')).status).toBe(404)
  })
})

describe('latency by label, with bounded series', () => {
  test('a monitored label has its own series; every other label is "other"; a cached answer is not timed', async () => {
    const first = testApp()
    const label = (
      (await (await first.request('/v1/predict', { method: 'POST', body: multipart([{ bytes: cat }]) })).json()) as PredictBody
    ).predictions[0]![0]!.label
    const monitored = testApp({ env: { BUN_INFER_MONITORED_LABELS: `${label},not a label`, BUN_INFER_MAX_CACHE_ENTRIES: '10' } })
    for (const bytes of [cat, coffee, cat]) {
      const response = await monitored.request('/v1/predict', { method: 'POST', body: multipart([{ bytes }]) })
      expect(response.status).toBe(200)
    }
    const text = await (await monitored.request('/metrics')).text()
    const count = (l: string) =>
      Number(
        text
          .split('\n')
          .find((line) => line.startsWith(`bun_infer_prediction_duration_seconds_count{model="mobilenetv2",version="1",label="${l}"}`))
          ?.split(' ')
          .at(-1) ?? 0
      )
    expect(count(label)).toBe(1) // the second cat came from the cache
    expect(count('other')).toBe(1) // the coffee
    expect(text).not.toContain('label="not a label"')
  })
})
