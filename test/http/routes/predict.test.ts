import { describe, expect, test } from 'bun:test'
import { pngWithDimensions, SVG, TEXT_AS_JPG, truncated } from '../../../tools/bad-input/bad-images'
import { base64, imageBytes, multipart, type ErrorJson, type PredictBody } from '../../helpers/requests'
import { testApp } from '../../helpers/test-app'

/** Small limits so each 4xx is cheap to reach; fault injection on for the 500 and 503 cases. */
const LIMITS = {
  BUN_INFER_MAX_BODY_BYTES: String(2 * 1024 * 1024),
  BUN_INFER_MAX_IMAGE_BYTES: String(1024 * 1024),
  BUN_INFER_MAX_IMAGES_PER_REQUEST: '4',
  BUN_INFER_ENABLE_FAULT_INJECTION: 'true'
}

const app = testApp({ env: LIMITS })
const cat = await imageBytes('chelsea.jpg')
const png = await imageBytes('coffee.png')

/** A streamed body of `bytes` bytes, sent chunked, so the server cannot trust a Content-Length. */
function chunked(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close()
      controller.enqueue(new Uint8Array(64 * 1024).fill(32))
      sent += 64 * 1024
    }
  })
}

const send = (init: RequestInit, path = '/v1/predict') => app.request(path, { method: 'POST', ...init })
const postJson = (body: unknown, headers: Record<string, string> = {}) =>
  send({ headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })

async function expectError(response: Response, status: number, code: string): Promise<ErrorJson> {
  const body = (await response.json()) as ErrorJson
  expect({ status: response.status, code: body.error?.code }).toEqual({ status, code })
  expect(body.error.request_id).toBe(response.headers.get('x-request-id')!)
  expect(body.error.message.length).toBeGreaterThan(0)
  expect(JSON.stringify(body)).not.toMatch(/\/work\/|node_modules|\.ts:\d+|at [A-Za-z]+ \(/) // no paths, no stacks
  return body
}

// [case, request, status, code]
const cases: Array<[string, () => Promise<Response>, number, string]> = [
  ['malformed JSON', () => send({ headers: { 'content-type': 'application/json' }, body: '{"image": ' }), 400, 'malformed_request'],
  ['empty body', () => send({ headers: { 'content-type': 'application/json' }, body: '' }), 400, 'malformed_request'],
  ['multipart without boundary', () => send({ headers: { 'content-type': 'multipart/form-data' }, body: 'x' }), 400, 'malformed_request'],
  ['invalid base64', () => postJson({ image: '!!!not base64!!!' }), 400, 'malformed_request'],
  ['truncated JPEG', () => send({ body: multipart([{ bytes: truncated(cat) }]) }), 400, 'invalid_image'],
  ['truncated PNG', () => send({ body: multipart([{ bytes: truncated(png, 0.3) }]) }), 400, 'invalid_image'],
  ['zero-byte file', () => send({ body: multipart([{ bytes: new Uint8Array(0) }]) }), 400, 'invalid_image'],
  ['unknown route', () => app.request('/v1/nothing-here'), 404, 'not_found'],
  ['unknown model', () => send({ body: multipart([{ bytes: cat }]) }, '/v1/models/nope/predict'), 404, 'model_not_found'],
  [
    'traversal in the model name',
    () => send({ body: multipart([{ bytes: cat }]) }, '/v1/models/..%2F..%2Fetc/predict'),
    404,
    'model_not_found'
  ],
  [
    'body over the limit',
    () => send({ headers: { 'content-type': 'application/json' }, body: 'x'.repeat(3 * 1024 * 1024) }),
    413,
    'payload_too_large'
  ],
  [
    'chunked body over the limit (no Content-Length)',
    () => send({ headers: { 'content-type': 'application/json' }, body: chunked(3 * 1024 * 1024), duplex: 'half' } as RequestInit),
    413,
    'payload_too_large'
  ],
  ['image over the byte limit', () => postJson({ image: base64(new Uint8Array(1024 * 1024 + 100)) }), 413, 'image_too_large'],
  [
    'decompression bomb (50,000² PNG header)',
    () => send({ body: multipart([{ bytes: pngWithDimensions(png, 50_000, 50_000) }]) }),
    413,
    'image_too_large'
  ],
  ['too many images', () => send({ body: multipart(Array(5).fill({ bytes: cat })) }), 413, 'too_many_images'],
  ['text/plain body', () => send({ headers: { 'content-type': 'text/plain' }, body: 'hello' }), 415, 'unsupported_media_type'],
  ['no content type', () => send({ body: new Uint8Array([1, 2, 3]) }), 415, 'unsupported_media_type'],
  [
    'SVG referencing a local file',
    () => send({ body: multipart([{ bytes: SVG, name: 'x.svg', type: 'image/svg+xml' }]) }),
    415,
    'unsupported_image_format'
  ],
  [
    'text named .jpg',
    () => send({ body: multipart([{ bytes: TEXT_AS_JPG, name: 'cat.jpg', type: 'image/jpeg' }]) }),
    415,
    'unsupported_image_format'
  ],
  ['data: URL of the wrong type', () => postJson({ image: `data:text/plain;base64,${base64(cat)}` }), 415, 'unsupported_image_format'],
  ['no image at all', () => postJson({ top_k: 3 }), 422, 'validation_failed'],
  ['both image and images', () => postJson({ image: base64(cat), images: [base64(cat)] }), 422, 'validation_failed'],
  ['top_k 0', () => postJson({ image: base64(cat), top_k: 0 }), 422, 'validation_failed'],
  ['top_k 1.5', () => postJson({ image: base64(cat), top_k: 1.5 }), 422, 'validation_failed'],
  ['top_k a numeric string in JSON', () => postJson({ image: base64(cat), top_k: '5' }), 422, 'validation_failed'],
  ['top_k a string', () => postJson({ image: base64(cat), top_k: 'five' }), 422, 'validation_failed'],
  ['top_k 10,000 (multipart)', () => send({ body: multipart([{ bytes: cat }], { top_k: '10000' }) }), 422, 'validation_failed'],
  [
    'image as a text field',
    () =>
      send({
        body: (() => {
          const f = new FormData()
          f.append('image', 'abc')
          return f
        })()
      }),
    422,
    'validation_failed'
  ],
  ['unknown JSON field', () => postJson({ image: base64(cat), colour: 'red' }), 422, 'validation_failed'],
  [
    'bad timeout header',
    () => send({ headers: { 'x-request-timeout-ms': 'soon' }, body: multipart([{ bytes: cat }]) }),
    422,
    'validation_failed'
  ],
  [
    'deadline shorter than the work',
    () => send({ headers: { 'x-request-timeout-ms': '1' }, body: multipart([{ bytes: cat }]) }),
    504,
    'deadline_exceeded'
  ],
  [
    'internal error (test fault hook)',
    () => send({ headers: { 'x-bun-infer-fault': 'internal' }, body: multipart([{ bytes: cat }]) }),
    500,
    'internal_error'
  ]
]

describe('every error code from a request, and the app stays healthy', () => {
  for (const [name, request, status, code] of cases)
    test(`${status} ${code}: ${name}`, async () => expectError(await request(), status, code))

  test('one bad image fails only its own request, not its neighbours', async () => {
    const mixed = await Promise.all([
      send({ body: multipart([{ bytes: cat }]) }),
      send({ body: multipart([{ bytes: truncated(cat) }]) }),
      send({ body: multipart([{ bytes: cat }]) }),
      send({ body: multipart([{ bytes: cat }, { bytes: TEXT_AS_JPG }]) })
    ])
    expect(mixed.map((r) => r.status)).toEqual([200, 400, 200, 415])
  })

  test('afterwards: ready, and a good request still gets its answer', async () => {
    expect((await app.request('/health/ready')).status).toBe(200)
    const response = await send({ body: multipart([{ bytes: cat }]) })
    expect(response.status).toBe(200)
    expect(((await response.json()) as PredictBody).predictions[0]!.length).toBe(5)
  })
})

describe('a prediction: shape, ids, timings, order', () => {
  const ok = testApp()
  const predict = (init: RequestInit, path = '/v1/predict') => ok.request(path, { method: 'POST', ...init })
  const json = (body: unknown) => predict({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const top1 = (body: PredictBody, i = 0) => body.predictions[i]![0]!.class_index

  test('multipart: top-5 sorted scores, model and version, request id kept, Server-Timing and metadata', async () => {
    const response = await predict({ headers: { 'x-request-id': 'test-cat-1' }, body: multipart([{ bytes: cat, type: 'image/jpeg' }]) })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-request-id')).toBe('test-cat-1')
    expect(response.headers.get('server-timing')).toMatch(
      /^decode-wait;dur=[\d.]+, preprocess;dur=[\d.]+, queue;dur=[\d.]+, inference;dur=[\d.]+, total;dur=[\d.]+$/
    )
    const body = (await response.json()) as PredictBody & { metadata: { cached: boolean; cached_images: number } }
    expect(body.model).toBe('mobilenetv2')
    expect(body.model_version).toBe('1')
    const top5 = body.predictions[0]!
    expect(top5.length).toBe(5)
    for (let i = 1; i < 5; i++) expect(top5[i - 1]!.score).toBeGreaterThanOrEqual(top5[i]!.score)
    expect(top5.reduce((sum, p) => sum + p.score, 0)).toBeLessThanOrEqual(1.0001) // softmaxed logits
    expect(top5[0]!.label.length).toBeGreaterThan(0)
    expect(body.metadata).toMatchObject({
      request_id: 'test-cat-1',
      batch_size: 1,
      batch_sizes: [1],
      inference_ms: 1,
      cached: false,
      cached_images: 0
    })
    expect(body.metadata.preprocess_ms).toBeGreaterThan(0)
    expect((body.metadata as { decode_wait_ms?: number }).decode_wait_ms).toBeGreaterThanOrEqual(0)
  })

  test('waiting for a decode slot is decode_wait, not preprocess: one slot, three PNGs at once', async () => {
    const oneSlot = testApp({ env: { ...LIMITS, BUN_INFER_MAX_CONCURRENT_DECODES: '1' } })
    const responses = await Promise.all(
      [1, 2, 3].map(() => oneSlot.request('/v1/predict', { method: 'POST', body: multipart([{ bytes: png }]) }))
    )
    const metadata = await Promise.all(
      responses.map(async (r) => ((await r.json()) as { metadata: { decode_wait_ms: number; preprocess_ms: number } }).metadata)
    )
    const decodes = metadata.map((m) => m.preprocess_ms)
    const waits = metadata.map((m) => m.decode_wait_ms).sort((a, b) => a - b)
    // The last one in waited for the two decodes before it; none of that is counted as its own decode.
    expect(waits[2]!).toBeGreaterThanOrEqual(Math.min(...decodes) * 1.5)
    expect(Math.max(...decodes)).toBeLessThan(waits[2]! + Math.min(...decodes))
  })

  test('base64 JSON, plain and as a data: URL, and whitespace inside, give the multipart answer; top_k is honoured', async () => {
    const reference = (await (await predict({ body: multipart([{ bytes: cat }]) })).json()) as PredictBody
    const wrapped = base64(cat).replace(/(.{76})/g, '$1\n')
    for (const image of [base64(cat), `data:image/jpeg;base64,${base64(cat)}`, wrapped]) {
      const body = (await (await json({ image, top_k: 3 })).json()) as PredictBody
      expect(body.predictions[0]).toEqual(reference.predictions[0]!.slice(0, 3))
    }
    const one = (await (await predict({ body: multipart([{ bytes: cat }], { top_k: '1' }) })).json()) as PredictBody
    expect(one.predictions[0]!.length).toBe(1)
  })

  test('a 3-image request keeps its order (multipart and JSON)', async () => {
    const images = await Promise.all(['coffee.png', 'chelsea.jpg', 'rocket.jpg'].map(imageBytes))
    const alone = await Promise.all(
      images.map(async (bytes) => top1((await (await predict({ body: multipart([{ bytes }]) })).json()) as PredictBody))
    )
    expect(new Set(alone).size).toBe(3) // the stand-in model tells these three apart
    const viaMultipart = (await (await predict({ body: multipart(images.map((bytes) => ({ bytes }))) })).json()) as PredictBody
    const viaJson = (await (await json({ images: images.map(base64) })).json()) as PredictBody
    for (const body of [viaMultipart, viaJson]) {
      expect([0, 1, 2].map((i) => top1(body, i))).toEqual(alone)
      expect(body.metadata.batch_sizes.length).toBe(3)
    }
  })

  test('a named model answers on its own route', async () => {
    const response = await predict({ body: multipart([{ bytes: cat }]) }, '/v1/models/shufflenetv2/predict')
    expect(((await response.json()) as PredictBody).model).toBe('shufflenetv2')
    expect(ok.runner.batches.at(-1)!.model).toBe('shufflenetv2:1')
  })

  test('requests that arrive while a batch runs wait and go together in the next batch', async () => {
    const app = testApp({ workers: 1 })
    app.runner.hold()
    const send = () => app.request('/v1/predict', { method: 'POST', body: multipart([{ bytes: cat }]) })
    const first = send()
    // The first is running; three more queue behind it (each waits for its own decode first).
    while (app.runner.batches.length === 0) await Bun.sleep(1)
    const rest = [send(), send(), send()]
    while (app.pipeline.batcher.depth('mobilenetv2:1') < 3) await Bun.sleep(1)
    app.runner.release()
    const bodies = (await Promise.all([first, ...rest].map(async (r) => (await r).json()))) as PredictBody[]
    expect(app.runner.batches.map((b) => b.batchSize)).toEqual([1, 3])
    expect(bodies.map((b) => b.metadata.batch_size)).toEqual([1, 3, 3, 3])
  })

  test('behind a backlog small photos wait encoded for their turn to decode; larger uploads decode at once', async () => {
    // 1 worker, batches of 1: two batches (two images) decoded ahead of it, the rest of the backlog waits encoded.
    const app = testApp({ workers: 1, env: { BUN_INFER_WORKERS: '1', BUN_INFER_MAX_BATCH_SIZE: '1' } })
    const key = 'mobilenetv2:1'
    const { batcher } = app.pipeline
    app.runner.hold()
    const send = (bytes: Uint8Array) => app.request('/v1/predict', { method: 'POST', body: multipart([{ bytes }]) })
    const first = send(cat) // 34 KB: its 224×224 crop (150 KB) is the bigger form
    while (app.runner.batches.length === 0) await Bun.sleep(1)
    const small = [send(cat), send(cat), send(cat), send(cat)]
    while (batcher.depth(key) < 2 || batcher.awaitingDecode(key) < 2) await Bun.sleep(1)
    expect(await (await app.request('/metrics')).text()).toContain('bun_infer_awaiting_decode{model="mobilenetv2",version="1"} 2')
    const large = send(png) // 467 KB: its crop is the smaller form, so it decodes now and queues past the bound
    while (batcher.depth(key) < 3) await Bun.sleep(1)
    expect(batcher.awaitingDecode(key)).toBe(2)
    app.runner.release()
    expect((await Promise.all([first, ...small, large])).map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200])
    expect(app.runner.batches.length).toBe(6)
    expect(batcher.awaitingDecode(key)).toBe(0)
  })
})

describe('admission, deadlines and readiness', () => {
  test('a full queue answers 429 queue_full with Retry-After before the body is read; admitted requests succeed', async () => {
    const app = testApp({ workers: 1, env: { BUN_INFER_MAX_QUEUE_IMAGES: '2', BUN_INFER_MAX_BATCH_SIZE: '1' } })
    app.runner.hold()
    const send = () => app.request('/v1/predict', { method: 'POST', body: multipart([{ bytes: cat }]) })
    const running = send()
    while (app.runner.batches.length === 0) await Bun.sleep(1)
    const queued = [send(), send()]
    while (app.pipeline.batcher.depth('mobilenetv2:1') < 2) await Bun.sleep(1)
    const refused = await send()
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(((await refused.json()) as ErrorJson).error.code).toBe('queue_full')
    app.runner.release()
    expect((await Promise.all([running, ...queued])).map((r) => r.status)).toEqual([200, 200, 200])
  })

  test('a request whose deadline passes while queued gets 504; its image is skipped, counted, never run', async () => {
    const app = testApp({ workers: 1 })
    app.runner.hold()
    const first = app.request('/v1/predict', { method: 'POST', body: multipart([{ bytes: cat }]) })
    while (app.runner.batches.length === 0) await Bun.sleep(1)
    const late = await app.request('/v1/predict', {
      method: 'POST',
      headers: { 'x-request-timeout-ms': '200' },
      body: multipart([{ bytes: cat }])
    })
    expect(late.status).toBe(504)
    expect(((await late.json()) as ErrorJson).error.code).toBe('deadline_exceeded')
    app.runner.release()
    expect((await first).status).toBe(200)
    expect(app.runner.batches.length).toBe(1)
    expect(await (await app.request('/metrics')).text()).toContain('bun_infer_queue_skipped_total{model="mobilenetv2",version="1"} 1')
  })

  test('while models load: predict 503 not_ready with Retry-After, readiness 503 "starting", liveness 200', async () => {
    const app = testApp({ state: 'starting' })
    const early = await app.request('/v1/predict', { method: 'POST', body: multipart([{ bytes: cat }]) })
    expect(early.status).toBe(503)
    expect(early.headers.get('retry-after')).toBe('1')
    expect(((await early.json()) as ErrorJson).error.code).toBe('not_ready')
    const ready = await app.request('/health/ready')
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 503, body: { status: 'starting' } })
    expect((await app.request('/health/live')).status).toBe(200)
  })

  test('a lost worker makes readiness 503 "degraded" until it is back', async () => {
    const app = testApp()
    app.health.workers = false
    const ready = await app.request('/health/ready')
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 503, body: { status: 'degraded' } })
    app.health.workers = true
    expect((await app.request('/health/ready')).status).toBe(200)
  })
})

describe('the fault hook (tests only)', () => {
  test('enabled: crash and hang arm the next batch, gc collects, anything else is 422', async () => {
    const app = testApp({ env: { BUN_INFER_ENABLE_FAULT_INJECTION: 'true' } })
    const send = (fault: string) =>
      app.request('/v1/predict', { method: 'POST', headers: { 'x-bun-infer-fault': fault }, body: multipart([{ bytes: cat }]) })
    expect((await send('crash')).status).toBe(200) // the stand-in runner ignores what a pool would do with it
    expect((await send('hang')).status).toBe(200)
    expect((await send('gc')).status).toBe(200)
    expect(app.faults).toEqual(['crash', 'hang'])
    const unknown = await send('explode')
    expect(unknown.status).toBe(422)
  })

  test('off (the default): the header means nothing', async () => {
    const app = testApp()
    const response = await app.request('/v1/predict', {
      method: 'POST',
      headers: { 'x-bun-infer-fault': 'internal' },
      body: multipart([{ bytes: cat }])
    })
    expect(response.status).toBe(200)
    expect(app.faults).toEqual([])
  })
})
