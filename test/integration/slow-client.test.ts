import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { CAT_CLASSES, imageBytes, multipart, type ErrorJson, type PredictBody } from '../helpers/requests'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

let server: ServerProcess
beforeAll(async () => {
  server = await startServerProcess({ BUN_INFER_BODY_TIMEOUT_MS: '400', BUN_INFER_WORKERS: '1', BUN_INFER_MAX_IN_FLIGHT_PER_CLIENT: '3' })
})
afterAll(async () => {
  await server?.stop()
})

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

describe('slow and stalled clients', () => {
  test('a body that stalls gets 408 body_timeout, and others are served meanwhile', async () => {
    const stalled = fetch(`${server.url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stalledBody(),
      duplex: 'half'
    } as RequestInit)
    const normal = await fetch(`${server.url}/v1/predict`, { method: 'POST', body: multipart([{ bytes: await imageBytes('chelsea.jpg') }]) })
    expect(normal.status).toBe(200)
    expect(CAT_CLASSES).toContain(((await normal.json()) as PredictBody).predictions[0]![0]!.class_index)
    const response = await stalled
    expect(response.status).toBe(408)
    expect(((await response.json()) as ErrorJson).error.code).toBe('body_timeout')
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200)
  })

  test('after the 408 the server closes the connection (RFC 9110), so a staller cannot keep its socket', async () => {
    const port = Number(new URL(server.url).port)
    let received = ''
    let closed!: () => void
    const closedPromise = new Promise<void>((resolve) => (closed = resolve))
    const socket = await Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: {
        data: (_socket, data) => void (received += new TextDecoder().decode(data)),
        close: () => closed(),
        error: () => closed()
      }
    })
    socket.write('POST /v1/predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 34000\r\n\r\n' + '{"image": "'.padEnd(100, 'A'))
    const outcome = await Promise.race([closedPromise.then(() => 'closed'), Bun.sleep(5000).then(() => 'still open')])
    socket.end()
    expect(received).toStartWith('HTTP/1.1 408')
    expect(received.toLowerCase()).toContain('connection: close')
    expect(outcome).toBe('closed')
  })

  test('one client holds at most its share: beyond BUN_INFER_MAX_IN_FLIGHT_PER_CLIENT it gets 429, another key does not', async () => {
    const stall = (headers: Record<string, string> = {}) =>
      fetch(`${server.url}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: stalledBody(),
        duplex: 'half'
      } as RequestInit)
    const held = [stall(), stall(), stall()]
    // Wait until the server holds all three (a condition, bounded), then a fourth from the same client.
    for (let i = 0; i < 200; i++) {
      const text = await (await fetch(`${server.url}/metrics`)).text()
      if (Number(/bun_infer_requests_in_flight (\d+)/.exec(text)?.[1]) >= 3) break
      await Bun.sleep(5)
    }
    const fourth = await fetch(`${server.url}/v1/predict`, { method: 'POST', body: multipart([{ bytes: await imageBytes('chelsea.jpg') }]) })
    expect(fourth.status).toBe(429)
    expect(fourth.headers.get('retry-after')).toBe('1')
    expect(((await fourth.json()) as ErrorJson).error.code).toBe('too_many_in_flight')
    const otherClient = await fetch(`${server.url}/v1/predict`, {
      method: 'POST',
      headers: { 'x-api-key': 'another-client-0123456789' },
      body: multipart([{ bytes: await imageBytes('chelsea.jpg') }])
    })
    expect(otherClient.status).toBe(200)
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([408, 408, 408])
    // Their share is given back when they end.
    const after = await fetch(`${server.url}/v1/predict`, { method: 'POST', body: multipart([{ bytes: await imageBytes('chelsea.jpg') }]) })
    expect(after.status).toBe(200)
  })
})
