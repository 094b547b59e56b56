import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { pngWithDimensions, SVG, TEXT_AS_JPG, truncated } from '../helpers/bad-images'
import { base64, CAT_CLASSES, imageBytes, multipart, postJson, type ErrorJson, type PredictBody } from '../helpers/requests'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

/** Small limits so each 4xx is cheap to reach; fault injection on for the 500 and 503 cases. */
const LIMITS = {
  BUN_INFER_MAX_BODY_BYTES: String(2 * 1024 * 1024),
  BUN_INFER_MAX_IMAGE_BYTES: String(1024 * 1024),
  BUN_INFER_MAX_IMAGES_PER_REQUEST: '4',
  BUN_INFER_ENABLE_FAULT_INJECTION: 'true'
}

let server: ServerProcess
let cat: Uint8Array
let png: Uint8Array
beforeAll(async () => {
  server = await startServerProcess(LIMITS)
  cat = await imageBytes('chelsea.jpg')
  png = await imageBytes('coffee.png')
})
afterAll(async () => {
  await server?.stop()
})

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

const predictUrl = () => `${server.url}/v1/predict`
const send = (init: RequestInit, url = predictUrl()) => fetch(url, { method: 'POST', ...init })

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
  ['invalid base64', () => postJson(predictUrl(), { image: '!!!not base64!!!' }), 400, 'malformed_request'],
  ['truncated JPEG', () => send({ body: multipart([{ bytes: truncated(cat) }]) }), 400, 'invalid_image'],
  ['truncated PNG', () => send({ body: multipart([{ bytes: truncated(png, 0.3) }]) }), 400, 'invalid_image'],
  ['zero-byte file', () => send({ body: multipart([{ bytes: new Uint8Array(0) }]) }), 400, 'invalid_image'],
  ['unknown route', () => fetch(`${server.url}/v1/nothing-here`), 404, 'not_found'],
  ['unknown model', () => send({ body: multipart([{ bytes: cat }]) }, `${server.url}/v1/models/nope/predict`), 404, 'model_not_found'],
  ['traversal in the model name', () => send({ body: multipart([{ bytes: cat }]) }, `${server.url}/v1/models/..%2F..%2Fetc/predict`), 404, 'model_not_found'],
  ['body over the limit', () => send({ headers: { 'content-type': 'application/json' }, body: 'x'.repeat(3 * 1024 * 1024) }), 413, 'payload_too_large'],
  ['chunked body over the limit (no Content-Length)', () => send({ headers: { 'content-type': 'application/json' }, body: chunked(3 * 1024 * 1024), duplex: 'half' } as RequestInit), 413, 'payload_too_large'],
  ['image over the byte limit', () => postJson(predictUrl(), { image: base64(new Uint8Array(1024 * 1024 + 100)) }), 413, 'image_too_large'],
  ['decompression bomb (50,000² PNG header)', () => send({ body: multipart([{ bytes: pngWithDimensions(png, 50_000, 50_000) }]) }), 413, 'image_too_large'],
  ['too many images', () => send({ body: multipart(Array(5).fill({ bytes: cat })) }), 413, 'too_many_images'],
  ['text/plain body', () => send({ headers: { 'content-type': 'text/plain' }, body: 'hello' }), 415, 'unsupported_media_type'],
  ['no content type', () => send({ body: new Uint8Array([1, 2, 3]) }), 415, 'unsupported_media_type'],
  ['SVG referencing a local file', () => send({ body: multipart([{ bytes: SVG, name: 'x.svg', type: 'image/svg+xml' }]) }), 415, 'unsupported_image_format'],
  ['text named .jpg', () => send({ body: multipart([{ bytes: TEXT_AS_JPG, name: 'cat.jpg', type: 'image/jpeg' }]) }), 415, 'unsupported_image_format'],
  ['data: URL of the wrong type', () => postJson(predictUrl(), { image: `data:text/plain;base64,${base64(cat)}` }), 415, 'unsupported_image_format'],
  ['no image at all', () => postJson(predictUrl(), { top_k: 3 }), 422, 'validation_failed'],
  ['both image and images', () => postJson(predictUrl(), { image: base64(cat), images: [base64(cat)] }), 422, 'validation_failed'],
  ['top_k 0', () => postJson(predictUrl(), { image: base64(cat), top_k: 0 }), 422, 'validation_failed'],
  ['top_k 1.5', () => postJson(predictUrl(), { image: base64(cat), top_k: 1.5 }), 422, 'validation_failed'],
  ['top_k a numeric string in JSON', () => postJson(predictUrl(), { image: base64(cat), top_k: '5' }), 422, 'validation_failed'],
  ['top_k a string', () => postJson(predictUrl(), { image: base64(cat), top_k: 'five' }), 422, 'validation_failed'],
  ['top_k 10,000 (multipart)', () => send({ body: multipart([{ bytes: cat }], { top_k: '10000' }) }), 422, 'validation_failed'],
  ['image as a text field', () => send({ body: (() => { const f = new FormData(); f.append('image', 'abc'); return f })() }), 422, 'validation_failed'],
  ['unknown JSON field', () => postJson(predictUrl(), { image: base64(cat), colour: 'red' }), 422, 'validation_failed'],
  ['bad timeout header', () => send({ headers: { 'x-request-timeout-ms': 'soon' }, body: multipart([{ bytes: cat }]) }), 422, 'validation_failed'],
  ['deadline shorter than the work', () => send({ headers: { 'x-request-timeout-ms': '1' }, body: multipart([{ bytes: cat }]) }), 504, 'deadline_exceeded'],
  ['internal error (test fault hook)', () => send({ headers: { 'x-bun-infer-fault': 'internal' }, body: multipart([{ bytes: cat }]) }), 500, 'internal_error']
]

describe('every error code from a real request, and the server stays healthy', () => {
  for (const [name, request, status, code] of cases) test(`${status} ${code}: ${name}`, async () => expectError(await request(), status, code))

  test('one bad image fails only its own request, not its neighbours', async () => {
    const mixed = await Promise.all([
      send({ body: multipart([{ bytes: cat }]) }),
      send({ body: multipart([{ bytes: truncated(cat) }]) }),
      send({ body: multipart([{ bytes: cat }]) }),
      send({ body: multipart([{ bytes: cat }, { bytes: TEXT_AS_JPG }]) })
    ])
    expect(mixed.map((r) => r.status)).toEqual([200, 400, 200, 415])
  })

  test('afterwards: ready, and a good request is still right', async () => {
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200)
    const response = await send({ body: multipart([{ bytes: cat }]) })
    expect(response.status).toBe(200)
    expect(CAT_CLASSES).toContain(((await response.json()) as PredictBody).predictions[0]![0]!.class_index)
    expect(server.proc.exitCode).toBeNull()
  })
})
