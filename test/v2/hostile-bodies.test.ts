import { describe, expect, test } from 'bun:test'
import { gzipSync } from 'node:zlib'
import { base64, imageBytes } from '../helpers/requests'
import { testApp } from '../helpers/test-app'

// Small bodies that declare or hold far more than any valid request: each must be refused with its 4xx
// within a second, while the process grows by no more than a small multiple of the decompressed body. Before the
// JSON bounds, the first one (a 116 KB gzip of 6,000,000 one-character strings) grew RSS by about 700 MB.
const app = testApp()
const cat = await imageBytes('chelsea.jpg')
const MB = 1024 * 1024
/** Every body below decompresses to at most 24 MB; the process may hold it (and a copy while it is joined) and little more. */
const MAX_GROWTH_BYTES = 100 * MB
const MILLIONS = 6_000_000
const utf8 = new TextEncoder()

const v2 =
  (body: Uint8Array, headers: Record<string, string> = {}) =>
  () =>
    app.request('/v2/models/mobilenetv2/infer', { method: 'POST', body: body as unknown as BodyInit, headers })
const gzipped = (body: Uint8Array, headers: Record<string, string> = {}) => v2(gzipSync(body), { 'content-encoding': 'gzip', ...headers })
/** A JSON header followed by binary tensor data, as tritonclient sends it. */
const withBinary = (json: unknown, binary: Uint8Array) => {
  const header = utf8.encode(JSON.stringify(json))
  const body = new Uint8Array(header.length + binary.length)
  body.set(header)
  body.set(binary, header.length)
  return { body, headers: { 'inference-header-content-length': String(header.length) } }
}
const bytesInput = (shape: number[], size: number) => ({
  inputs: [{ name: 'image', shape, datatype: 'BYTES', parameters: { binary_data_size: size } }]
})
const emptyElements = new Uint8Array(4 * MILLIONS) // six million zero-length BYTES elements
const v1Json = (text: string) => () =>
  app.request('/v1/models/mobilenetv2/predict', { method: 'POST', body: text, headers: { 'content-type': 'application/json' } })

/** Status, message and what the request cost: wall time, RSS and heap growth from a collected heap, measured before the next collection. */
async function measure(send: () => Promise<Response>) {
  Bun.gc(true)
  const before = process.memoryUsage()
  const started = performance.now()
  const response = await send()
  const body = (await response.json()) as { error: string | { code: string; message: string } }
  const ms = performance.now() - started
  const after = process.memoryUsage()
  return { status: response.status, body, ms, rss: after.rss - before.rss, heap: after.heapUsed - before.heapUsed }
}

const cases: Array<[string, () => () => Promise<Response>, number, string]> = [
  [
    '/v2 JSON, gzip: a BYTES input of 6,000,000 one-character strings',
    () =>
      gzipped(
        utf8.encode(`{"inputs":[{"name":"image","shape":[${MILLIONS}],"datatype":"BYTES","data":[${'"a",'.repeat(MILLIONS - 1)}"a"]}]}`)
      ),
    413,
    'strings'
  ],
  [
    '/v2 JSON, gzip: an FP32 input of 6,000,000 zeros',
    () =>
      gzipped(utf8.encode(`{"inputs":[{"name":"input","shape":[${MILLIONS}],"datatype":"FP32","data":[${'0,'.repeat(MILLIONS - 1)}0]}]}`)),
    413,
    'array elements'
  ],
  [
    '/v2 JSON, gzip: 4,000,000 empty arrays',
    () => gzipped(utf8.encode(`{"inputs":[{"name":"input","shape":[1],"datatype":"FP32","data":[${'[],'.repeat(4_000_000)}0]}]}`)),
    413,
    'arrays and objects'
  ],
  ['/v2 JSON, gzip: 10,000,000 nested [', () => gzipped(utf8.encode('['.repeat(10_000_000))), 400, 'nests deeper than'],
  [
    '/v2 binary, gzip: 6,000,000 empty BYTES elements declared as [6000000]',
    () => {
      const { body, headers } = withBinary(bytesInput([MILLIONS], emptyElements.length), emptyElements)
      return gzipped(body, headers)
    },
    413,
    'holds 6000000 images'
  ],
  [
    '/v2 binary, gzip: 6,000,000 empty BYTES elements declared as [1]',
    () => {
      const { body, headers } = withBinary(bytesInput([1], emptyElements.length), emptyElements)
      return gzipped(body, headers)
    },
    400,
    'binary data has more than 1'
  ],
  [
    '/v2 JSON: shape [2147483647, 2147483647]',
    () => v2(utf8.encode(JSON.stringify({ inputs: [{ name: 'input', shape: [2 ** 31 - 1, 2 ** 31 - 1], datatype: 'FP32', data: [] }] }))),
    413,
    'holds 2147483647 images'
  ],
  [
    '/v2 binary: shape [2147483647, 2147483647] with no bytes',
    () => {
      const { body, headers } = withBinary(bytesInput([2 ** 31 - 1, 2 ** 31 - 1], 0), new Uint8Array(0))
      return v2(body, headers)
    },
    413,
    'holds 2147483647 images'
  ],
  ['/v1 JSON: 6,000,000 one-character images', () => v1Json(`{"images":[${'"a",'.repeat(MILLIONS - 1)}"a"]}`), 413, 'payload_too_large'],
  ['/v1 JSON: 1,000,000 nested [', () => v1Json('['.repeat(1_000_000)), 400, 'malformed_request']
]

describe('hostile bodies: refused fast, within a small multiple of the body', () => {
  for (const [what, build, status, expected] of cases)
    test(what, async () => {
      const result = await measure(build())
      const error = result.body.error
      expect({ status: result.status, error: typeof error === 'string' ? error : error.code }).toEqual({
        status,
        error: expect.stringContaining(expected)
      })
      expect(result.ms).toBeLessThan(1000)
      expect(result.rss).toBeLessThan(MAX_GROWTH_BYTES)
      expect(result.heap).toBeLessThan(MAX_GROWTH_BYTES)
    })

  test('a good request is answered right after, on /v2 and /v1', async () => {
    const infer = await app.request('/v2/models/mobilenetv2/infer', {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [base64(cat)] }] })
    })
    expect(infer.status).toBe(200)
    expect(((await infer.json()) as { outputs: Array<{ shape: number[] }> }).outputs[0]!.shape).toEqual([1, 1000])
    const predict = await v1Json(JSON.stringify({ images: [base64(cat)], top_k: 3 }))()
    expect(predict.status).toBe(200)
  })
})
