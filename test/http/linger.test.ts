import { afterAll, describe, expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { connect, type Socket } from 'node:net'
import { AppError } from '../../src/errors'
import { budgetFull } from '../../src/http/byte-budget'
import { discardBody, LINGER_SECONDS, lingerAfterRefusal, mayHaveBody } from '../../src/http/linger'
import { errorPlugin } from '../../src/http/plugins/errors'
import { createLogger } from '../../src/log'

const MiB = 1024 * 1024

/** A POST whose body is `chunks` then, unless `end`, nothing more (a stalled client); `pulled()` counts chunks read. */
function upload(chunks: number, chunkBytes: number, headers: Record<string, string>, end = true) {
  let pulled = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled < chunks) controller.enqueue(new Uint8Array(chunkBytes).fill(pulled++ & 0xff))
      else if (end) controller.close()
      else return new Promise(() => {}) // stalls
    }
  })
  return { request: new Request('http://x/v1/predict', { method: 'POST', headers, body }), pulled: () => pulled }
}

describe('mayHaveBody', () => {
  const req = (headers: Record<string, string>) => new Request('http://x/', { method: 'POST', headers })
  test('a declared length above 0, or chunked; not an empty or absent body', () => {
    expect(mayHaveBody(req({ 'content-length': '10' }))).toBe(true)
    expect(mayHaveBody(req({ 'transfer-encoding': 'chunked' }))).toBe(true)
    expect(mayHaveBody(req({ 'content-length': '0' }))).toBe(false)
    expect(mayHaveBody(new Request('http://x/'))).toBe(false)
  })
})

describe('lingerAfterRefusal', () => {
  test("bounds the connection's idle time to LINGER_SECONDS when a body may still come, and only then", () => {
    const calls: number[] = []
    const server = { timeout: (_: Request, seconds: number) => void calls.push(seconds) }
    lingerAfterRefusal(server, new Request('http://x/', { method: 'POST', headers: { 'content-length': '5' }, body: 'hello' }))
    lingerAfterRefusal(server, new Request('http://x/'))
    lingerAfterRefusal(null, new Request('http://x/', { method: 'POST', headers: { 'content-length': '5' }, body: 'hello' }))
    expect(calls).toEqual([LINGER_SECONDS])
  })

  test('a client already gone is not an error', () => {
    const gone = {
      timeout: () => {
        throw new Error('request closed')
      }
    }
    expect(() =>
      lingerAfterRefusal(gone, new Request('http://x/', { method: 'POST', headers: { 'content-length': '1' }, body: 'x' }))
    ).not.toThrow()
  })
})

describe('discardBody', () => {
  test('reads the whole body and drops it', async () => {
    const { request, pulled } = upload(8, 1024, { 'content-length': String(8 * 1024) })
    expect(await discardBody(request, MiB, 10_000)).toBe(8 * 1024)
    expect(pulled()).toBe(8)
  })

  test('stops at maxBytes: a body that never ends is not read forever', async () => {
    const { request, pulled } = upload(1_000_000, 1024, { 'transfer-encoding': 'chunked' })
    expect(await discardBody(request, 64 * 1024, 10_000)).toBe(64 * 1024)
    expect(pulled()).toBeLessThan(70)
  })

  test('stops after ms: a stalled body does not hold the answer', async () => {
    const { request } = upload(2, 1024, { 'content-length': String(MiB) }, false)
    expect(await discardBody(request, MiB, 20)).toBe(2048)
  })

  test('a body someone already read, or none, is left alone', async () => {
    const { request } = upload(1, 16, { 'content-length': '16' })
    await request.arrayBuffer()
    expect(await discardBody(request, MiB, 10_000)).toBe(0)
    expect(await discardBody(new Request('http://x/'), MiB, 10_000)).toBe(0)
  })
})

/** One raw HTTP/1.1 connection: write bytes, read whole responses (status line, headers, Content-Length body) one by one. */
function rawConnection(port: number) {
  const socket: Socket = connect({ host: '127.0.0.1', port })
  let buffered = Buffer.alloc(0)
  let closed = false
  let wake = () => {}
  socket.on('data', (data) => {
    buffered = Buffer.concat([buffered, data as Buffer])
    wake()
  })
  socket.on('close', () => {
    closed = true
    wake()
  })
  socket.on('error', () => {})
  /** The next whole response, or undefined when the server closed the connection first. */
  async function nextResponse(): Promise<{ head: string; body: string } | undefined> {
    for (;;) {
      const end = buffered.indexOf('\r\n\r\n')
      if (end >= 0) {
        const head = buffered.subarray(0, end).toString('latin1')
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0)
        if (buffered.length >= end + 4 + length) {
          const body = buffered.subarray(end + 4, end + 4 + length).toString()
          buffered = buffered.subarray(end + 4 + length)
          return { head, body }
        }
      }
      if (closed) return undefined
      await new Promise<void>((resolve) => (wake = resolve))
    }
  }
  return { write: (bytes: string | Uint8Array) => socket.write(bytes), nextResponse, closed: () => closed, end: () => socket.destroy() }
}

describe('a refusal over a real socket', () => {
  const dropped: number[] = []
  const app = new Elysia()
    .use(errorPlugin(createLogger('error', () => {})))
    .post(
      '/refuse',
      () => {
        throw budgetFull(4 * MiB) // before a byte of the body is read
      },
      { parse: 'none' }
    )
    .post(
      '/drain',
      async ({ request }) => {
        dropped.push(await discardBody(request, 8 * MiB, 10_000))
        throw new AppError('draining', 'the server is shutting down', { retryAfterSeconds: 1, headers: { connection: 'close' } })
      },
      { parse: 'none' }
    )
    .get('/ok', () => 'ok')
    .listen({ hostname: '127.0.0.1', port: 0 })
  afterAll(() => app.stop(true))
  const port = app.server!.port!

  test('is answered while the client still sends; Bun discards exactly the declared body and the connection serves the next request', async () => {
    const client = rawConnection(port)
    client.write(`POST /refuse HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${4 * MiB}\r\n\r\n`)
    const refused = await client.nextResponse() // before a byte of the body was sent
    expect(refused?.head).toStartWith('HTTP/1.1 429')
    expect(refused?.head.toLowerCase()).not.toContain('connection: close')
    expect(refused?.head.toLowerCase()).toContain('retry-after: 1')
    expect(refused?.body).toContain('body_budget_full')
    client.write(new Uint8Array(4 * MiB).fill(0x41)) // the client sends its body all the same, as Node's fetch does
    client.write('GET /ok HTTP/1.1\r\nhost: x\r\n\r\n')
    const next = await client.nextResponse()
    expect(next?.head).toStartWith('HTTP/1.1 200')
    expect(next?.body).toBe('ok')
    client.end()
  })

  test('an answer that must close its connection (draining) comes once the body was read and dropped', async () => {
    const client = rawConnection(port)
    client.write(`POST /drain HTTP/1.1\r\nhost: x\r\ncontent-length: ${2 * MiB}\r\n\r\n`)
    client.write(new Uint8Array(2 * MiB))
    const answer = await client.nextResponse()
    expect(answer?.head).toStartWith('HTTP/1.1 503')
    expect(answer?.head.toLowerCase()).toContain('connection: close')
    expect(dropped).toEqual([2 * MiB])
    expect(await client.nextResponse()).toBeUndefined() // then the server closes it
    expect(client.closed()).toBe(true)
  })
})
