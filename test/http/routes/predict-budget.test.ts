import { describe, expect, test } from 'bun:test'
import { imageBytes, multipart, type ErrorJson } from '../../helpers/requests'
import { testApp } from '../../helpers/test-app'

// The body budget and the early drop of encoded bytes, in process (app.handle, no sockets).
const MiB = 1024 * 1024
const app = testApp({ env: { BUN_INFER_MAX_BODY_BYTES: String(2 * MiB), BUN_INFER_BODY_BUDGET_BYTES: String(3 * MiB) } })
const cat = await imageBytes('chelsea.jpg')

/** A POST whose declared 2 MiB body never finishes arriving until `finish()`: it holds its reservation. */
function heldUpload() {
  let finish!: () => void
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(1024))
      finish = () => controller.close()
    }
  })
  const response = app.request('/v1/predict', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': String(2 * MiB) },
    body
  })
  return { response, finish: () => finish() }
}

describe('the body budget at the predict route', () => {
  test('a declared body that does not fit gets 429 body_budget_full before it is read; small photos still pass', async () => {
    const held = heldUpload()
    let pulled = 0
    const unread = new ReadableStream<Uint8Array>({ pull: (c) => void (pulled++, c.enqueue(new Uint8Array(64 * 1024))) })
    const refused = await app.request('/v1/predict', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(2 * MiB) },
      body: unread
    })
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(refused.headers.get('connection')).toBeNull() // kept open: Bun discards the unread body for a bounded time (linger.ts)
    expect(((await refused.json()) as ErrorJson).error.code).toBe('body_budget_full')
    expect(pulled).toBeLessThanOrEqual(1) // at most what the stream queued on its own; the server read none of it
    expect((await app.request('/v1/predict', { method: 'POST', body: multipart([{ bytes: cat }]) })).status).toBe(200)
    held.finish()
    expect((await held.response).status).toBe(400) // its body was cut short: malformed, and its bytes given back
    expect((await app.request('/v1/predict', { method: 'POST', body: multipart([{ bytes: cat }]) })).status).toBe(200)
  })

  test('/metrics shows the budget, what is in flight, and the refusals', async () => {
    const text = await (await app.request('/metrics')).text()
    expect(text).toContain(`bun_infer_body_budget_bytes{kind="limit"} ${3 * MiB}`)
    expect(text).toContain('bun_infer_body_budget_bytes{kind="in_flight"} 0')
    expect(text).toContain('bun_infer_body_budget_refused_total 1')
  })
})

describe('Predictor.predict drops the encoded bytes once decoded', () => {
  test('the slots are emptied and onDecoded is called once, before the answer', async () => {
    const images = [cat, cat]
    let decodedCalls = 0
    const result = await app.pipeline.predictor.predict('mobilenetv2', undefined, images, { topK: 1, onDecoded: () => decodedCalls++ })
    expect(result.predictions).toHaveLength(2)
    expect(images.map((i) => i.byteLength)).toEqual([0, 0])
    expect(decodedCalls).toBe(1)
  })

  test('a bad image fails before onDecoded: the route releases the budget itself', async () => {
    let decodedCalls = 0
    const bad = new TextEncoder().encode('not an image at all')
    await expect(
      app.pipeline.predictor.predict('mobilenetv2', undefined, [bad], { topK: 1, onDecoded: () => decodedCalls++ })
    ).rejects.toMatchObject({ code: 'unsupported_image_format' })
    expect(decodedCalls).toBe(0)
  })
})
