import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { imageBytes, multipart } from '../helpers/requests'
import { scrapedValue } from '../helpers/metrics'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'
import { until } from '../helpers/until'

// A CI-sized bench/reliability/memory-flood.ts: one real server with a small body budget (12 MiB, bodies
// up to 8 MiB: one large body at a time, 3 MiB kept for small ones) and concurrent 8 MB uploads.
const MiB = 1024 * 1024
const BODY = 8 * MiB
const cat = await imageBytes('chelsea.jpg')
let server: ServerProcess

beforeAll(async () => {
  server = await startServerProcess({
    BUN_INFER_WORKERS: '1',
    BUN_INFER_MAX_BODY_BYTES: String(BODY),
    BUN_INFER_BODY_BUDGET_BYTES: String(12 * MiB),
    BUN_INFER_BODY_TIMEOUT_MS: '20000' // the held body below is finished by the test, never timed out
  })
})
afterAll(async () => {
  await server.stop('SIGKILL')
})

/** A multipart body of `bytes`: a JPEG start-of-image marker, then filler. */
function floodBody(bytes: number): { body: Uint8Array<ArrayBuffer>; type: string } {
  const head = Buffer.from(
    '--f\r\nContent-Disposition: form-data; name="image"; filename="f.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0',
    'latin1'
  )
  const tail = Buffer.from('\r\n--f--\r\n')
  const body = new Uint8Array(bytes)
  body.fill(0x41).set(head)
  body.set(tail, bytes - tail.length)
  return { body, type: 'multipart/form-data; boundary=f' }
}

/** A raw connection that sends the headers of a `BODY`-byte upload and only `sent` bytes of it; `rest()` sends the remainder. */
async function heldUpload(sent: number) {
  const { body, type } = floodBody(BODY)
  let received = ''
  let answered!: (text: string) => void
  const answer = new Promise<string>((resolve) => (answered = resolve))
  // node:net queues what the kernel does not take at once (an 8 MB write is partial on a raw Bun socket).
  const socket = connect({ host: '127.0.0.1', port: server.port })
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.on('data', (data) => {
    received += data.toString('latin1')
    if (received.includes('\r\n\r\n')) answered(received)
  })
  socket.on('close', () => answered(received))
  socket.on('error', () => answered(received))
  socket.write(`POST /v1/predict HTTP/1.1\r\nhost: x\r\ncontent-type: ${type}\r\ncontent-length: ${BODY}\r\n\r\n`)
  socket.write(body.subarray(0, sent))
  return { answer, rest: () => socket.write(body.subarray(sent)), end: () => socket.end() }
}

const metric = (name: string) => scrapedValue(server.url, name)

const statusKb = (field: string) =>
  Number(readFileSync(`/proc/${server.pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))![1])

describe('the body budget under a flood of large uploads', () => {
  test('the ready log line says what the budget is', async () => {
    // /health/ready can answer before the test has read the line from the pipe.
    await until(() => server.logs.some((l) => l.includes('"msg":"ready"')))
    expect(server.logs.find((l) => l.includes('"msg":"ready"'))).toContain(`"body_budget_bytes":${12 * MiB}`)
  })

  test('a large body that does not fit is refused before it is read: 429, Retry-After, the connection kept for its client; small photos still pass', async () => {
    const held = await heldUpload(1024) // holds 8 MiB of the budget while it waits for the rest of its body
    while ((await metric('bun_infer_requests_in_flight')) < 1) await Bun.sleep(5) // a condition, not a timed wait
    const refused = await heldUpload(0) // headers only: no byte of its body was ever sent
    const head = await refused.answer
    expect(head).toStartWith('HTTP/1.1 429')
    expect(head.toLowerCase()).not.toContain('connection: close') // Bun discards the unsent body, so a client still sending reads this
    expect(head.toLowerCase()).toContain('retry-after: 1')
    expect(head).toContain('"body_budget_full"')
    refused.end()
    // Concurrent large uploads are all refused while it holds the budget; an ordinary photo is not.
    const { body, type } = floodBody(BODY)
    const flood = await Promise.all(
      Array.from({ length: 8 }, () => fetch(`${server.url}/v1/predict`, { method: 'POST', headers: { 'content-type': type }, body }))
    )
    expect(flood.map((r) => r.status)).toEqual(Array(8).fill(429))
    expect((await fetch(`${server.url}/v1/predict`, { method: 'POST', body: multipart([{ bytes: cat }]) })).status).toBe(200)
    held.rest() // the held body completes: answered (400, filler is no image), and its bytes are given back
    expect(await held.answer).toStartWith('HTTP/1.1 400')
    held.end()
  })

  test('16 concurrent 8 MB uploads: no 5xx, some read, peak RSS bounded by the budget, the photo still classified', async () => {
    writeFileSync(`/proc/${server.pid}/clear_refs`, '5') // VmHWM := current RSS, so it shows this test's peak
    const before = statusKb('VmHWM')
    const { body, type } = floodBody(BODY)
    const send = () => fetch(`${server.url}/v1/predict`, { method: 'POST', headers: { 'content-type': type }, body }).then((r) => r.status)
    const [statuses, photo] = await Promise.all([
      Promise.all(Array.from({ length: 16 }, send)),
      fetch(`${server.url}/v1/predict`, { method: 'POST', body: multipart([{ bytes: cat }]) })
    ])
    const peakMb = (statusKb('VmHWM') - before) / 1024
    expect(statuses.filter((s) => s !== 429 && s !== 400)).toEqual([]) // refused, or read and found to be no image
    expect(statuses).toContain(400) // the budget was free at the start: at least one was read
    expect(photo.status).toBe(200)
    // 16 × 8 MB read at once would add hundreds of MB (each body is held ~2× while read and parsed);
    // one at a time within the budget adds a few tens.
    expect(peakMb).toBeLessThan(100)
  }, 30_000)
})
