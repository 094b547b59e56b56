import { describe, expect, test } from 'bun:test'
import { imageBytes, multipart, type ErrorJson } from '../helpers/requests'
import { testApp } from '../helpers/test-app'

/** A body that sends its first bytes and then stalls for good: the stream never closes. */
function stalledBody(): ReadableStream<Uint8Array> {
  let sent = false
  return new ReadableStream({
    pull(controller) {
      if (!sent) controller.enqueue(new TextEncoder().encode('{"image": "'))
      sent = true
      return new Promise(() => {}) // never more
    }
  })
}

describe('slow and stalled clients, in process', () => {
  const app = testApp({ env: { BUN_INFER_BODY_TIMEOUT_MS: '300', BUN_INFER_MAX_IN_FLIGHT_PER_CLIENT: '3' } })
  const stall = (headers: Record<string, string> = {}) =>
    app.request('/v1/predict', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: stalledBody(),
      duplex: 'half'
    } as RequestInit)
  const good = async (headers: Record<string, string> = {}) =>
    app.request('/v1/predict', { method: 'POST', headers, body: multipart([{ bytes: await imageBytes('chelsea.jpg') }]) })

  test('a stalled body gets 408 body_timeout with Connection: close; others are served meanwhile', async () => {
    const stalled = stall()
    expect((await good()).status).toBe(200)
    const response = await stalled
    expect(response.status).toBe(408)
    expect(response.headers.get('connection')).toBe('close')
    expect(((await response.json()) as ErrorJson).error.code).toBe('body_timeout')
  })

  test('one client holds at most its share: beyond BUN_INFER_MAX_IN_FLIGHT_PER_CLIENT it gets 429, a made-up key too', async () => {
    const held = [stall(), stall(), stall()]
    while (app.lifecycle.active < 3) await Bun.sleep(1) // the three are being read (a condition)
    const fourth = await good()
    expect(fourth.status).toBe(429)
    expect(fourth.headers.get('retry-after')).toBe('1')
    expect(((await fourth.json()) as ErrorJson).error.code).toBe('too_many_in_flight')
    // With auth off a key is not verified, so it names no other client: same IP, same share.
    for (let i = 0; i < 5; i++) expect((await good({ 'x-api-key': `made-up-client-0123456789-${i}` })).status).toBe(429)
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([408, 408, 408])
    // Their share is given back when they end.
    expect((await good()).status).toBe(200)
  })
})

describe('the per-client share with auth on', () => {
  const KEY_A = 'share-a-key-0123456789abcdef'
  const KEY_B = 'share-b-key-0123456789abcdef'
  const app = testApp({
    env: { BUN_INFER_API_KEYS: `${KEY_A},${KEY_B}`, BUN_INFER_BODY_TIMEOUT_MS: '300', BUN_INFER_MAX_IN_FLIGHT_PER_CLIENT: '2' }
  })
  const stall = (key: string) =>
    app.request('/v1/predict', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: stalledBody(),
      duplex: 'half'
    } as RequestInit)
  const good = async (key: string) => {
    const response = await app.request('/v1/predict', {
      method: 'POST',
      headers: { 'x-api-key': key },
      body: multipart([{ bytes: await imageBytes('chelsea.jpg') }])
    })
    return response.status === 200 ? 'ok' : ((await response.json()) as ErrorJson).error.code
  }

  test('a valid key has its own share; a made-up key is refused 401 and takes none of it', async () => {
    const held = [stall(KEY_A), stall(KEY_A)]
    while (app.lifecycle.active < 2) await Bun.sleep(1) // both are being read (a condition)
    expect(await good(KEY_A)).toBe('too_many_in_flight')
    expect(await good('made-up-client-0123456789')).toBe('unauthorized')
    expect(await good(KEY_B)).toBe('ok')
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([408, 408])
    expect(await good(KEY_A)).toBe('ok')
  })
})
