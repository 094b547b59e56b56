import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { CAT_CLASSES, imageBytes, multipart, type ErrorJson, type PredictBody } from '../helpers/requests'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

let server: ServerProcess
beforeAll(async () => {
  server = await startServerProcess({ BUN_INFER_BODY_TIMEOUT_MS: '400', BUN_INFER_WORKERS: '1' })
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
})
