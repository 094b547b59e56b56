import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'
import { base64, CAT_CLASSES, imageBytes, multipart, postJson, type PredictBody } from '../helpers/requests'

let server: ServerProcess
let cat: Uint8Array
beforeAll(async () => {
  server = await startServerProcess()
  cat = await imageBytes('chelsea.jpg')
})
afterAll(async () => {
  await server?.stop()
})

const top1 = (body: PredictBody, i = 0) => body.predictions[i]![0]!.class_index

describe('POST /v1/predict on the default model (real server, real photos)', () => {
  test('multipart: the cat photo is a domestic cat, with scores, timings and ids', async () => {
    const response = await fetch(`${server.url}/v1/predict`, {
      method: 'POST',
      headers: { 'x-request-id': 'test-cat-1' },
      body: multipart([{ bytes: cat, type: 'image/jpeg' }])
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-request-id')).toBe('test-cat-1')
    expect(response.headers.get('server-timing')).toMatch(/preprocess;dur=[\d.]+, queue;dur=[\d.]+, inference;dur=[\d.]+, total;dur=[\d.]+/)
    const body = (await response.json()) as PredictBody
    expect(body.model).toBe('mobilenetv2')
    expect(body.model_version).toBe('1')
    expect(CAT_CLASSES).toContain(top1(body))
    const top5 = body.predictions[0]!
    expect(top5.length).toBe(5)
    expect(top5[0]!.label).toBe('Egyptian Mau')
    for (let i = 1; i < 5; i++) expect(top5[i - 1]!.score).toBeGreaterThanOrEqual(top5[i]!.score)
    expect(top5.reduce((sum, p) => sum + p.score, 0)).toBeLessThanOrEqual(1.0001)
    expect(top5[0]!.score).toBeGreaterThan(0.4)
    expect(body.metadata.request_id).toBe('test-cat-1')
    expect(body.metadata.batch_size).toBeGreaterThanOrEqual(1)
    expect(body.metadata.inference_ms).toBeGreaterThan(0)
    expect(body.metadata.preprocess_ms).toBeGreaterThan(0)
  })

  test('base64 JSON, plain and as a data: URL, with top_k', async () => {
    for (const image of [base64(cat), `data:image/jpeg;base64,${base64(cat)}`]) {
      const response = await postJson(`${server.url}/v1/predict`, { image, top_k: 3 })
      expect(response.status).toBe(200)
      const body = (await response.json()) as PredictBody
      expect(body.predictions[0]!.length).toBe(3)
      expect(CAT_CLASSES).toContain(top1(body))
    }
  })

  test('multipart top_k field is honoured', async () => {
    const response = await fetch(`${server.url}/v1/predict`, { method: 'POST', body: multipart([{ bytes: cat }], { top_k: '1' }) })
    expect(((await response.json()) as PredictBody).predictions[0]!.length).toBe(1)
  })

  test('a 3-image request keeps its order (multipart and JSON)', async () => {
    const images = await Promise.all(['coffee.png', 'chelsea.jpg', 'rocket.jpg'].map(imageBytes))
    const viaMultipart = (await (
      await fetch(`${server.url}/v1/predict`, { method: 'POST', body: multipart(images.map((bytes) => ({ bytes }))) })
    ).json()) as PredictBody
    const viaJson = (await (await postJson(`${server.url}/v1/predict`, { images: images.map(base64) })).json()) as PredictBody
    for (const body of [viaMultipart, viaJson]) {
      expect(body.predictions.length).toBe(3)
      expect([967, 968, 504]).toContain(top1(body, 0)) // espresso / cup / coffee mug
      expect(CAT_CLASSES).toContain(top1(body, 1))
      expect(body.predictions[2]!.slice(0, 3).map((p) => p.class_index)).toContain(540) // drilling rig
      expect(body.metadata.batch_sizes.length).toBe(3)
    }
  })

  test('64 concurrent requests are all correct, and batching happened', async () => {
    const responses = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        i % 2 === 0
          ? fetch(`${server.url}/v1/predict`, { method: 'POST', body: multipart([{ bytes: cat }]) })
          : postJson(`${server.url}/v1/predict`, { image: base64(cat) })
      )
    )
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as PredictBody[]
    expect(responses.map((r) => r.status)).toEqual(Array(64).fill(200))
    for (const body of bodies) expect(CAT_CLASSES).toContain(top1(body))
    expect(Math.max(...bodies.map((b) => b.metadata.batch_size))).toBeGreaterThan(1)
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    const ranAlone = Number(/bun_infer_batch_size_bucket\{le="1",model="mobilenetv2",version="1"\} (\d+)/.exec(metrics)?.[1])
    const batches = Number(/bun_infer_batch_size_count\{model="mobilenetv2",version="1"\} (\d+)/.exec(metrics)?.[1])
    expect(batches).toBeGreaterThan(ranAlone) // some batch held more than one image
  })

  test('the second model answers on its own route', async () => {
    const response = await fetch(`${server.url}/v1/models/shufflenetv2/predict`, { method: 'POST', body: multipart([{ bytes: cat }]) })
    expect(response.status).toBe(200)
    const body = (await response.json()) as PredictBody
    expect(body.model).toBe('shufflenetv2')
    expect(CAT_CLASSES).toContain(top1(body))
  })
})

describe('models, health, docs', () => {
  test('GET /v1/models lists both models with tensors and batching', async () => {
    const body = (await (await fetch(`${server.url}/v1/models`)).json()) as { models: Array<Record<string, any>> }
    expect(body.models.map((m) => m.name)).toEqual(['mobilenetv2', 'shufflenetv2'])
    const mobilenet = body.models[0]!
    expect(mobilenet.default).toBe(true)
    expect(mobilenet.inputs[0]).toEqual({ name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224] })
    expect(mobilenet.outputs[0]).toMatchObject({ name: 'output', shape: [-1, 1000], kind: 'logits' })
    expect(mobilenet.batching.max_batch_size).toBe(32)
  })

  test('GET /v1/models/:name describes one model; unknown is 404 model_not_found', async () => {
    const one = (await (await fetch(`${server.url}/v1/models/shufflenetv2`)).json()) as Record<string, any>
    expect(one.name).toBe('shufflenetv2')
    expect(one.preprocessing).toMatchObject({ resize_shorter_side: 256, crop: [224, 224] })
    const missing = await fetch(`${server.url}/v1/models/nope`)
    expect(missing.status).toBe(404)
    expect(((await missing.json()) as any).error.code).toBe('model_not_found')
  })

  test('health: live and ready', async () => {
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200)
    const ready = await fetch(`${server.url}/health/ready`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ok' })
  })

  test('docs page and every asset it loads come from this server', async () => {
    const page = await fetch(`${server.url}/docs`)
    expect(page.status).toBe(200)
    const html = await page.text()
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    expect(assets.length).toBeGreaterThan(0)
    for (const asset of assets) {
      expect(asset.startsWith('/')).toBe(true) // no CDN
      expect((await fetch(server.url + asset)).status).toBe(200)
    }
    const spec = (await (await fetch(`${server.url}/openapi.json`)).json()) as any
    const predict = spec.paths['/v1/predict'].post
    expect(Object.keys(predict.requestBody.content)).toEqual(['multipart/form-data', 'application/json'])
    expect(predict.responses['200']).toBeDefined()
    expect(predict.responses['429']).toBeDefined()
    expect(spec.paths['/v1/models/{name}/predict']).toBeDefined()
  })

  test('metrics: Prometheus text with our prefix', async () => {
    const response = await fetch(`${server.url}/metrics`)
    expect(response.headers.get('content-type')).toContain('text/plain')
    const text = await response.text()
    expect(text).toContain('bun_infer_http_requests_total')
    expect(text).toContain('bun_infer_model_info{model="mobilenetv2",version="1"} 1')
  })
})
