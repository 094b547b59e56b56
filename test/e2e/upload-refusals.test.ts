import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { IMAGES } from '../helpers/requests'
import { scrapedValue } from '../helpers/metrics'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

// One real server: bodies up to 16 MiB and a 48 MiB budget (36 MiB for bodies over 1 MiB), so one client's
// share is 17 MiB; a body may take 20 s to arrive, longer than any test here runs.
const MiB = 1024 * 1024
const CAT = join(IMAGES, 'chelsea.jpg')
let server: ServerProcess

beforeAll(async () => {
  server = await startServerProcess({
    BUN_INFER_LOG_LEVEL: 'warn',
    BUN_INFER_WORKERS: '1',
    BUN_INFER_MAX_BODY_BYTES: String(16 * MiB),
    BUN_INFER_BODY_BUDGET_BYTES: String(48 * MiB),
    BUN_INFER_BODY_TIMEOUT_MS: '20000'
  })
})
afterAll(async () => {
  await server.stop('SIGKILL')
})

/**
 * Run by `node`: `count` concurrent uploads of the cat photo padded to `bytes` (a valid JPEG: decoders stop at
 * its end), sent by Node's own fetch (undici) as FormData (Content-Length) or as a stream (chunked). Prints how
 * each ended: its status (with " retry-after" when the header came), or the error's code (EPIPE…).
 */
const NODE_FLOOD = `
import { readFileSync } from 'node:fs'
const [url, count, bytes, kind, photo] = process.argv.slice(1)
const padded = Buffer.alloc(Number(bytes))
readFileSync(photo).copy(padded)
const head = Buffer.from('--f\\r\\ncontent-disposition: form-data; name="image"; filename="cat.jpg"\\r\\ncontent-type: image/jpeg\\r\\n\\r\\n')
const multipart = Buffer.concat([head, padded, Buffer.from('\\r\\n--f--\\r\\n')])
function init() {
  if (kind === 'form') {
    const form = new FormData()
    form.append('image', new Blob([padded], { type: 'image/jpeg' }), 'cat.jpg')
    return { method: 'POST', body: form }
  }
  let offset = 0
  const body = new ReadableStream({
    pull(controller) {
      if (offset >= multipart.length) return controller.close()
      controller.enqueue(multipart.subarray(offset, (offset += 64 * 1024)))
    }
  })
  return { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=f' }, body, duplex: 'half' }
}
const outcomes = await Promise.all(Array.from({ length: Number(count) }, async () => {
  try {
    const response = await fetch(url, init())
    await response.arrayBuffer()
    return String(response.status) + (response.headers.has('retry-after') ? ' retry-after' : '')
  } catch (error) {
    return 'error ' + (error.cause?.code ?? error.message)
  }
}))
const counts = {}
for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1
console.log(JSON.stringify(counts))
`

async function nodeFlood(kind: 'form' | 'stream', count: number, bytes: number): Promise<Record<string, number>> {
  const node = Bun.spawn(
    ['node', '--input-type=module', '-e', NODE_FLOOD, `${server.url}/v1/predict`, String(count), String(bytes), kind, CAT],
    { stdout: 'pipe', stderr: 'inherit' }
  )
  const [out, code] = await Promise.all([new Response(node.stdout).text(), node.exited])
  expect(code).toBe(0)
  return JSON.parse(out) as Record<string, number>
}

describe("early refusals are readable by Node's fetch", () => {
  test('48 concurrent 15 MB uploads, FormData then streamed: every one gets 200, or 429 with Retry-After; none fails', async () => {
    for (const kind of ['form', 'stream'] as const) {
      const counts = await nodeFlood(kind, 48, 15_000_000)
      // Before: the 429 was sent with Connection: close while undici was still writing, and it saw EPIPE.
      expect(Object.keys(counts).filter((outcome) => outcome !== '200' && outcome !== '429 retry-after')).toEqual([])
      expect((counts['200'] ?? 0) + (counts['429 retry-after'] ?? 0)).toBe(48)
      if (kind === 'form') expect(counts['200']).toBeGreaterThanOrEqual(1) // declared bodies: the first fits and is read
    }
  }, 60_000)
})

/** A raw upload from `from` (a loopback address) that declares `bytes` and then trickles 1 KiB every 250 ms. */
function slowUpload(from: string, bytes: number) {
  const socket = connect({ host: '127.0.0.1', port: server.port, localAddress: from })
  let head = ''
  let sent = 0
  const trickle = setInterval(() => {
    if (sent + 1024 < bytes) socket.write(new Uint8Array(1024).fill(0x41), () => (sent += 1024))
  }, 250)
  socket.on('connect', () =>
    socket.write(
      `POST /v1/predict HTTP/1.1\r\nhost: x\r\ncontent-type: multipart/form-data; boundary=f\r\ncontent-length: ${bytes}\r\n\r\n`
    )
  )
  socket.on('data', (data) => (head += data.toString('latin1')))
  socket.on('error', () => {})
  return {
    answer: () => (head.includes('\r\n\r\n') ? head : undefined),
    stop: () => {
      clearInterval(trickle)
      socket.destroy()
    }
  }
}

/** POSTs `body` from `from` over a raw socket and resolves with the whole response once the server has sent it. */
function postFrom(from: string, body: Uint8Array, type: string): Promise<string> {
  const socket: Socket = connect({ host: '127.0.0.1', port: server.port, localAddress: from })
  let received = ''
  return new Promise((resolve) => {
    socket.on('connect', () => {
      socket.write(
        `POST /v1/predict HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: ${type}\r\ncontent-length: ${body.length}\r\n\r\n`
      )
      socket.write(body)
    })
    socket.on('data', (data) => (received += data.toString('latin1')))
    socket.on('close', () => resolve(received))
    socket.on('error', () => resolve(received))
  })
}

const metric = (line: string) => scrapedValue(server.url, line)

describe('slow uploads cannot hold the whole budget', () => {
  test('30 uploads trickling 15 MB bodies from one address; an 8 MB photo from another is answered 200 meanwhile', async () => {
    const slow = Array.from({ length: 30 }, () => slowUpload('127.0.0.1', 15_000_000))
    try {
      // Every slow upload is either refused (answered) or admitted and holding its room: a condition, not a timed wait.
      while (slow.filter((s) => s.answer()).length + (await metric('bun_infer_requests_in_flight')) < 30) await Bun.sleep(10)
      const holding = 30 - slow.filter((s) => s.answer()).length
      expect(holding).toBeGreaterThanOrEqual(1)
      for (const refused of slow.filter((s) => s.answer())) {
        expect(refused.answer()).toStartWith('HTTP/1.1 429')
        expect(refused.answer()).toContain('body_budget_full')
      }
      const photo = new Uint8Array(8_000_000)
      photo.set(new Uint8Array(await Bun.file(CAT).arrayBuffer()))
      const head = Buffer.from(
        '--f\r\ncontent-disposition: form-data; name="image"; filename="cat.jpg"\r\ncontent-type: image/jpeg\r\n\r\n'
      )
      const body = Buffer.concat([head, photo, Buffer.from('\r\n--f--\r\n')])
      const started = performance.now()
      const answer = await postFrom('127.0.0.2', body, 'multipart/form-data; boundary=f')
      const ms = performance.now() - started
      // Before: the trickling client held 30 of the 36 MiB large bodies may use, and this got 429 body_budget_full.
      expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 200 OK')
      expect(answer).toContain('"predictions"')
      // Answered while the slow uploads still hold their room (they have not timed out), and well before they would.
      expect(await metric('bun_infer_requests_in_flight')).toBe(holding)
      expect(ms).toBeLessThan(10_000)
      expect(await metric('bun_infer_body_budget_client_share_refused_total')).toBeGreaterThanOrEqual(1)
    } finally {
      for (const s of slow) s.stop()
    }
  }, 60_000)
})
