import { describe, expect, test } from 'bun:test'
import { base64, imageBytes } from '../../helpers/requests'
import { testApp } from '../../helpers/test-app'
import { inferRequest, readInferResult, type ClientInput, type ClientOutput } from '../../helpers/v2-client'

// The /v2 HTTP contract in process (real routes, plugins, predictor and batcher over an answering runner):
// what the Open Inference Protocol (KServe v2 required_api.md) and tritonclient expect of each endpoint.
const app = testApp({ env: { BUN_INFER_MAX_IMAGES_PER_REQUEST: '4' } })
const cat = await imageBytes('chelsea.jpg')

function post(
  path: string,
  inputs: ClientInput[],
  outputs?: ClientOutput[],
  id?: string,
  target = app,
  compression?: Parameters<typeof inferRequest>[3]
) {
  const { body, headers } = inferRequest(inputs, outputs, id, compression)
  return target.request(path, { method: 'POST', body: body as unknown as BodyInit, headers })
}
const postJson = (path: string, body: unknown) => app.request(path, { method: 'POST', body: JSON.stringify(body) })
const catInput = (binary = true): ClientInput => ({
  name: 'image',
  shape: [1],
  datatype: 'BYTES',
  data: binary ? [cat] : [base64(cat)],
  binary
})

/** Every /v2 error is {"error": "<message>"}: exactly that one field, a string (tritonclient reads ["error"]). */
async function expectV2Error(response: Response, status: number, message: string | RegExp) {
  expect(response.status).toBe(status)
  const body = (await response.json()) as Record<string, unknown>
  expect(Object.keys(body)).toEqual(['error'])
  expect(body.error).toEqual(typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message))
}

describe('server and model endpoints', () => {
  test('GET /v2: name, version and the extensions served', async () => {
    expect(await (await app.request('/v2')).json()).toEqual({
      name: 'bun-infer',
      version: '0.0.0-test',
      extensions: ['binary_tensor_data', 'classification']
    })
  })

  test('health: 200 with an empty body when live and ready; ready is 400 while loading or draining', async () => {
    for (const path of ['/v2/health/live', '/v2/health/ready', '/v2/models/mobilenetv2/ready', '/v2/models/mobilenetv2/versions/1/ready']) {
      const response = await app.request(path)
      expect([path, response.status, await response.text()]).toEqual([path, 200, ''])
    }
    for (const state of ['starting', 'draining'] as const) {
      const loading = testApp({ state })
      expect((await loading.request('/v2/health/live')).status).toBe(200)
      expect((await loading.request('/v2/health/ready')).status).toBe(400)
      expect((await loading.request('/v2/models/mobilenetv2/ready')).status).toBe(400)
    }
  })

  test('model metadata lists the graph input, the BYTES image input and the output, -1 for the batch', async () => {
    const expected = {
      name: 'mobilenetv2',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224] },
        { name: 'image', datatype: 'BYTES', shape: [-1] }
      ],
      outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 1000] }]
    }
    expect(await (await app.request('/v2/models/mobilenetv2')).json()).toEqual(expected)
    expect(await (await app.request('/v2/models/mobilenetv2/versions/1')).json()).toEqual(expected)
    const third = (await (await app.request('/v2/models/mobilenetv2-uint8-nhwc')).json()) as typeof expected
    expect(third.inputs[0]).toEqual({ name: 'pixels', datatype: 'UINT8', shape: [-1, 192, 192, 3] })
  })

  test('an unknown model or version is 404 {"error"} on every endpoint', async () => {
    await expectV2Error(await app.request('/v2/models/nope'), 404, 'no model named "nope"')
    await expectV2Error(await app.request('/v2/models/nope/ready'), 404, 'no model named')
    await expectV2Error(await app.request('/v2/models/mobilenetv2/versions/7'), 404, 'model mobilenetv2 has no version "7"')
    await expectV2Error(await app.request('/v2/models/mobilenetv2/versions/7/ready'), 404, 'no version')
    await expectV2Error(await post('/v2/models/nope/infer', [catInput()]), 404, 'no model named')
    await expectV2Error(await app.request('/v2/nothing-here'), 404, 'no such route')
  })
})

describe('POST …/infer', () => {
  test('JSON in, JSON out: the id is echoed, classification is BYTES [N,k] of "score:index:label"', async () => {
    const response = await post(
      '/v2/models/mobilenetv2/versions/1/infer',
      [catInput(false)],
      [{ name: 'output', binary: false, classCount: 3 }],
      'req-7'
    )
    expect(response.status).toBe(200)
    expect(response.headers.get('x-request-id')).toBeTruthy()
    expect(response.headers.get('content-type')).toStartWith('application/json')
    expect(response.headers.get('inference-header-content-length')).toBeNull()
    const result = await readInferResult(response)
    expect(result.json).toMatchObject({ model_name: 'mobilenetv2', model_version: '1', id: 'req-7' })
    expect(result.json.outputs[0]).toMatchObject({ name: 'output', datatype: 'BYTES', shape: [1, 3] })
    expect(result.asArray('output')).toEqual([expect.stringMatching(/^\d+\.\d{6}:\d+:.+$/), expect.anything(), expect.anything()])
  })

  test('no outputs named: every output, in binary (what tritonclient asks with binary_data_output)', async () => {
    const response = await post('/v2/models/mobilenetv2/infer', [catInput()])
    expect(response.headers.get('content-type')).toBe('application/octet-stream')
    const result = await readInferResult(response)
    expect(result.json.outputs[0]).toMatchObject({
      name: 'output',
      datatype: 'FP32',
      shape: [1, 1000],
      parameters: { binary_data_size: 4000 }
    })
    expect((result.asArray('output') as Float32Array).length).toBe(1000)
  })

  for (const coding of ['gzip', 'deflate'] as const)
    test(`compressed both ways with ${coding}, as tritonclient's request/response_compression_algorithm does it`, async () => {
      const outputs = [{ name: 'output', binary: true, classCount: 3 }]
      const plain = await readInferResult(await post('/v2/models/mobilenetv2/infer', [catInput()], outputs))
      const response = await post('/v2/models/mobilenetv2/infer', [catInput()], outputs, undefined, app, { request: coding })
      expect(response.status).toBe(200)
      expect([response.headers.get('content-encoding'), response.headers.get('vary')]).toEqual([coding, 'Accept-Encoding'])
      const compressed = await readInferResult(response) // fails unless the header length counts the uncompressed JSON
      expect(compressed.asArray('output')).toEqual(plain.asArray('output'))
    })

  test('a compressed body is held to the body limit once decompressed; a corrupt one is 400; an unknown coding 415', async () => {
    const small = testApp({ env: { BUN_INFER_MAX_BODY_BYTES: '65536' } })
    // A zero-filled tensor compresses to almost nothing; decompressed it is 602,112 bytes, over the 64 KiB limit.
    const bomb = [
      { name: 'input', shape: [1, 3, 224, 224], datatype: 'FP32', data: new Float32Array(3 * 224 * 224), binary: true }
    ] as ClientInput[]
    const sent = inferRequest(bomb, undefined, undefined, { request: 'gzip' })
    expect(sent.body.length).toBeLessThan(65536)
    await expectV2Error(
      await post('/v2/models/mobilenetv2/infer', bomb, undefined, undefined, small, { request: 'gzip' }),
      413,
      'over the limit'
    )
    const corrupt = { 'content-encoding': 'gzip' }
    await expectV2Error(
      await app.request('/v2/models/mobilenetv2/infer', { method: 'POST', body: 'not gzip', headers: corrupt }),
      400,
      'gzip'
    )
    const brotli = { 'content-encoding': 'br' }
    await expectV2Error(await app.request('/v2/models/mobilenetv2/infer', { method: 'POST', body: '{}', headers: brotli }), 415, 'br')
  })

  test('a float tensor input goes straight to the batcher; a uint8 one to its model', async () => {
    const floats = await post('/v2/models/mobilenetv2/infer', [
      { name: 'input', shape: [2, 3, 224, 224], datatype: 'FP32', data: new Float32Array(2 * 3 * 224 * 224), binary: true }
    ])
    expect((await readInferResult(floats)).json.outputs[0]!.shape).toEqual([2, 1000])
    const bytes = await post('/v2/models/mobilenetv2-uint8-nhwc/infer', [
      { name: 'pixels', shape: [1, 192, 192, 3], datatype: 'UINT8', data: new Uint8Array(192 * 192 * 3), binary: true }
    ])
    expect((await readInferResult(bytes)).json.outputs[0]!.shape).toEqual([1, 1000])
  })

  test('tensor inputs count in the stage metrics like images, with a preprocess stage of 0', async () => {
    const fresh = testApp()
    const inferenceCount = async () => {
      const scrape = await (await fresh.request('/metrics')).text()
      const line = scrape
        .split('\n')
        .find(
          (l) =>
            l.startsWith('bun_infer_stage_duration_seconds_count{') && l.includes('model="mobilenetv2"') && l.includes('stage="inference"')
        )
      return Number(line?.split(' ').at(-1) ?? 0)
    }
    expect(await inferenceCount()).toBe(0)
    await post('/v2/models/mobilenetv2/infer', [tensor([3, 3, 224, 224])], undefined, undefined, fresh)
    expect(await inferenceCount()).toBe(3)
  })

  const tensor = (shape: number[], datatype: 'FP32' | 'UINT8' = 'FP32', name = 'input'): ClientInput => ({
    name,
    shape,
    datatype,
    data: datatype === 'FP32' ? new Float32Array(shape.reduce((a, b) => a * b, 1)) : new Uint8Array(shape.reduce((a, b) => a * b, 1)),
    binary: true
  })
  const wrong: Array<[string, () => Promise<Response>, string]> = [
    [
      'an unknown input',
      () => post('/v2/models/mobilenetv2/infer', [tensor([1, 3], 'FP32', 'pixels')]),
      'model mobilenetv2 has no input "pixels" (inputs: "input", "image")'
    ],
    [
      'a wrong datatype',
      () => post('/v2/models/mobilenetv2-uint8-nhwc/infer', [tensor([1, 192, 192, 3], 'FP32', 'pixels')]),
      'input "pixels": expected UINT8 [N,192,192,3] with N ≥ 1, got FP32 [1,192,192,3]'
    ],
    [
      'a wrong shape',
      () => post('/v2/models/mobilenetv2/infer', [tensor([1, 224, 224, 3])]),
      'input "input": expected FP32 [N,3,224,224] with N ≥ 1, got FP32 [1,224,224,3]'
    ],
    [
      'an image input that is not BYTES [N]',
      () => post('/v2/models/mobilenetv2/infer', [{ ...catInput(), shape: [1, 1], data: [cat] }]),
      'input "image": expected BYTES [N]'
    ],
    ['two inputs', () => post('/v2/models/mobilenetv2/infer', [catInput(), tensor([1, 3, 224, 224])]), 'takes exactly one input'],
    [
      'an unknown output',
      () => post('/v2/models/mobilenetv2/infer', [catInput()], [{ name: 'logits', binary: true }]),
      'model mobilenetv2 has no output "logits" (outputs: "output")'
    ],
    ['not JSON', () => app.request('/v2/models/mobilenetv2/infer', { method: 'POST', body: '{"inputs": [' }), 'not valid UTF-8 JSON'],
    [
      'bad base64',
      () => postJson('/v2/models/mobilenetv2/infer', { inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: ['%%%'] }] }),
      'not valid base64'
    ],
    [
      'a header length past the body',
      () =>
        app.request('/v2/models/mobilenetv2/infer', { method: 'POST', body: '{}', headers: { 'inference-header-content-length': '50' } }),
      'Inference-Header-Content-Length "50"'
    ]
  ]
  for (const [name, send, message] of wrong)
    test(`400 {"error"} naming the input and what was expected: ${name}`, async () => {
      await expectV2Error(await send(), 400, message)
    })

  test('too many images is 413, an image that is not an image 415, both as {"error"}', async () => {
    await expectV2Error(
      await post('/v2/models/mobilenetv2/infer', [{ ...catInput(), shape: [5], data: Array(5).fill(cat) }]),
      413,
      'holds 5 images; the limit is 4'
    )
    await expectV2Error(
      await post('/v2/models/mobilenetv2/infer', [{ ...catInput(), data: [new TextEncoder().encode('definitely not an image')] }]),
      415,
      'not a supported image'
    )
  })

  test('a full queue is 429 {"error"} with Retry-After before the body is read', async () => {
    const full = testApp({ workers: 1, env: { BUN_INFER_MAX_QUEUE_IMAGES: '1', BUN_INFER_MAX_BATCH_SIZE: '1' } })
    full.runner.hold()
    const running = post('/v2/models/mobilenetv2/infer', [catInput()], undefined, undefined, full)
    while (full.runner.batches.length === 0) await Bun.sleep(1)
    const queued = post('/v2/models/mobilenetv2/infer', [catInput()], undefined, undefined, full)
    while (full.pipeline.batcher.depth('mobilenetv2:1') < 1) await Bun.sleep(1)
    const refused = await post('/v2/models/mobilenetv2/infer', [catInput()], undefined, undefined, full)
    expect(refused.headers.get('retry-after')).toBe('1')
    await expectV2Error(refused, 429, 'queue')
    full.runner.release()
    expect((await Promise.all([running, queued])).map((r) => r.status)).toEqual([200, 200])
  })

  test('a deadline shorter than the work is 504 {"error"}, and the queued image never runs', async () => {
    const slow = testApp({ workers: 1 })
    slow.runner.hold()
    const tensorOf = (n: number): ClientInput => ({
      name: 'input',
      shape: [n, 3, 224, 224],
      datatype: 'FP32',
      data: new Float32Array(n * 3 * 224 * 224),
      binary: true
    })
    const busy = post('/v2/models/mobilenetv2/infer', [tensorOf(1)], undefined, undefined, slow)
    while (slow.runner.batches.length === 0) await Bun.sleep(1)
    const { body, headers } = inferRequest([tensorOf(1)])
    const late = slow.request('/v2/models/mobilenetv2/infer', {
      method: 'POST',
      body: body as unknown as BodyInit,
      headers: { ...headers, 'x-request-timeout-ms': '50' }
    })
    await expectV2Error(await late, 504, 'deadline')
    slow.runner.release()
    expect((await busy).status).toBe(200)
    expect(slow.runner.batches.length).toBe(1)
  })

  test('UINT8 data may come in JSON too', async () => {
    const response = await postJson('/v2/models/mobilenetv2-uint8-nhwc/infer', {
      inputs: [{ name: 'pixels', shape: [1, 192, 192, 3], datatype: 'UINT8', data: Array(192 * 192 * 3).fill(7) }]
    })
    expect(response.status).toBe(200)
    expect((await readInferResult(response)).json.outputs[0]!.shape).toEqual([1, 1000])
  })

  test('while loading, 503 {"error"}; with API keys on, 401 {"error"} without one', async () => {
    await expectV2Error(
      await post('/v2/models/mobilenetv2/infer', [catInput()], undefined, undefined, testApp({ state: 'starting' })),
      503,
      'still loading'
    )
    const secured = testApp({ env: { BUN_INFER_API_KEYS: 'k'.repeat(24) } })
    await expectV2Error(await post('/v2/models/mobilenetv2/infer', [catInput()], undefined, undefined, secured), 401, /key/i)
  })
})

describe('OpenAPI', () => {
  test('describes every /v2 route, the infer body in JSON and binary, and its errors', async () => {
    const spec = (await (await app.request('/openapi.json')).json()) as any
    for (const path of [
      '/v2',
      '/v2/health/live',
      '/v2/health/ready',
      '/v2/models/{name}',
      '/v2/models/{name}/versions/{version}',
      '/v2/models/{name}/ready',
      '/v2/models/{name}/versions/{version}/ready'
    ])
      expect({ path, get: Boolean(spec.paths[path]?.get) }).toEqual({ path, get: true })
    for (const path of ['/v2/models/{name}/infer', '/v2/models/{name}/versions/{version}/infer']) {
      const infer = spec.paths[path].post
      expect(Object.keys(infer.requestBody.content)).toEqual(['application/json', 'application/octet-stream'])
      for (const status of ['200', '400', '404', '413', '429', '503', '504']) expect(infer.responses[status]).toBeDefined()
    }
  })
})

describe('the same path as /v1', () => {
  test('classification answers come from the result cache the second time; raw scores are a different key', async () => {
    const cached = testApp({ env: { BUN_INFER_MAX_CACHE_ENTRIES: '100' } })
    const classify = () =>
      post('/v2/models/mobilenetv2/infer', [catInput()], [{ name: 'output', binary: false, classCount: 3 }], undefined, cached)
    const first = (await readInferResult(await classify())).asArray('output')
    expect(cached.runner.batches.length).toBe(1)
    expect((await readInferResult(await classify())).asArray('output')).toEqual(first)
    expect(cached.runner.batches.length).toBe(1) // no second inference
    // /v1's softmaxed top 3 of the same photo is another answer, so another key.
    await cached.request('/v1/predict', {
      method: 'POST',
      body: JSON.stringify({ image: base64(cat), top_k: 3 }),
      headers: { 'content-type': 'application/json' }
    })
    expect(cached.runner.batches.length).toBe(2)
    // Cache-Control: no-cache recomputes, as on /v1.
    const { body, headers } = inferRequest([catInput()], [{ name: 'output', binary: false, classCount: 3 }])
    await cached.request('/v2/models/mobilenetv2/infer', {
      method: 'POST',
      body: body as unknown as BodyInit,
      headers: { ...headers, 'cache-control': 'no-cache' }
    })
    expect(cached.runner.batches.length).toBe(3)
  })

  test('the raw output of an image is cached too, and comes back exactly', async () => {
    const cached = testApp({ env: { BUN_INFER_MAX_CACHE_ENTRIES: '100' } })
    const raw = async (target = cached) =>
      (
        await readInferResult(
          await post('/v2/models/mobilenetv2/infer', [catInput()], [{ name: 'output', binary: true }], undefined, target)
        )
      ).asArray('output') as Float32Array
    const uncached = await raw(app)
    const first = await raw()
    expect(cached.runner.batches.length).toBe(1)
    const second = await raw()
    expect(cached.runner.batches.length).toBe(1) // answered by the cache
    // Every float exactly (=== : a -0 reads back as 0, since the cache stores JSON; this stand-in model outputs -0).
    const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => v === b[i])
    expect([first.length, same(first, uncached), same(second, uncached)]).toEqual([1000, true, true])
    // The top 3 of the same photo, raw, is read from the same computation's key family but a key of its own (k=3).
    await post('/v2/models/mobilenetv2/infer', [catInput()], [{ name: 'output', binary: false, classCount: 3 }], undefined, cached)
    expect(cached.runner.batches.length).toBe(2)
  })

  test('a /v1 and a /v2 request for the same photo share a batch', async () => {
    const shared = testApp({ workers: 1 })
    shared.runner.hold()
    const v1 = () =>
      shared.request('/v1/predict', {
        method: 'POST',
        body: JSON.stringify({ image: base64(cat) }),
        headers: { 'content-type': 'application/json' }
      })
    const first = v1()
    while (shared.runner.batches.length === 0) await Bun.sleep(1) // the worker is busy with the first
    const pair = [v1(), post('/v2/models/mobilenetv2/infer', [catInput()], undefined, undefined, shared)]
    while (shared.pipeline.batcher.depth('mobilenetv2:1') < 2) await Bun.sleep(1)
    shared.runner.release()
    expect((await Promise.all([first, ...pair])).map((r) => r.status)).toEqual([200, 200, 200])
    expect(shared.runner.batches.map((b) => b.batchSize)).toEqual([1, 2])
  })
})

describe('body budget', () => {
  test('a declared body that does not fit gets 429 {"error"} before it is read', async () => {
    const MiB = 1024 * 1024
    const budgeted = testApp({ env: { BUN_INFER_MAX_BODY_BYTES: String(2 * MiB), BUN_INFER_BODY_BUDGET_BYTES: String(3 * MiB) } })
    let finish!: () => void
    const slow = new ReadableStream<Uint8Array>({ start: (c) => void (c.enqueue(new Uint8Array(1024)), (finish = () => c.close())) })
    const declared = { 'content-length': String(2 * MiB) }
    const held = budgeted.request('/v2/models/mobilenetv2/infer', { method: 'POST', headers: declared, body: slow })
    const refused = await budgeted.request('/v2/models/mobilenetv2/infer', {
      method: 'POST',
      headers: declared,
      body: new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(64 * 1024)) })
    })
    expect(refused.headers.get('retry-after')).toBe('1')
    await expectV2Error(refused, 429, 'too many bytes at once')
    finish()
    expect((await held).status).toBe(400) // cut short: not JSON; its bytes are given back
  })

  test('one budget for /v1 and /v2: a /v1 upload holding it refuses a /v2 body, and the other way round', async () => {
    const MiB = 1024 * 1024
    const budgeted = testApp({ env: { BUN_INFER_MAX_BODY_BYTES: String(2 * MiB), BUN_INFER_BODY_BUDGET_BYTES: String(3 * MiB) } })
    const declared = { 'content-type': 'application/json', 'content-length': String(2 * MiB) }
    const holding = (path: string) => {
      let finish!: () => void
      const body = new ReadableStream<Uint8Array>({ start: (c) => void (c.enqueue(new Uint8Array(1024)), (finish = () => c.close())) })
      return { response: budgeted.request(path, { method: 'POST', headers: declared, body }), finish: () => finish() }
    }
    const unread = () => new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(64 * 1024)) })
    for (const [holder, other] of [
      ['/v1/predict', '/v2/models/mobilenetv2/infer'],
      ['/v2/models/mobilenetv2/infer', '/v1/predict']
    ] as const) {
      const held = holding(holder)
      const refused = await budgeted.request(other, { method: 'POST', headers: declared, body: unread() })
      expect({ holder, status: refused.status }).toEqual({ holder, status: 429 })
      held.finish()
      await (await held.response).arrayBuffer()
    }
  })
})
