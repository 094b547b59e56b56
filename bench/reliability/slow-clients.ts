/**
 * Slow clients against normal ones. Three kinds of bad client, on raw sockets:
 *  - tricklers: send the headers, then the body at 1 byte per 100 ms;
 *  - stallers: send the headers and half the body, then nothing;
 *  - non-readers: send one request with 16 images and top_k 1000 (a ~1 MB answer) and never read a byte back.
 * (Not pipelined: Bun 1.4.5 itself fails pipelined POSTs with bodies — the connection gets no answer or a
 * reset — so a pipelining client only hurts itself.)
 * Meanwhile 4 normal closed-loop clients keep sending; their latency is compared with a window
 * without bad clients. Reports what each bad client got (status line, server close, nothing).
 *
 *   bun bench/reliability/slow-clients.ts [--tricklers 64] [--stallers 8] [--nonreaders 8] [--seconds 40] [--quick]
 */
import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { round } from '../lib/stats'
import type { Payload } from '../lib/payloads'
import {
  closedLoop,
  flags,
  fmtTally,
  jpegPayload,
  latencyCell,
  metric,
  metrics,
  report,
  rssMb,
  sampleRss,
  send,
  startServer,
  tally,
  verdict
} from './common'

const opts = flags({ tricklers: 64, stallers: 8, nonreaders: 8, seconds: 40, baseline: 8, quick: false })
if (opts.quick) Object.assign(opts, { tricklers: 16, stallers: 4, nonreaders: 4, seconds: 15, baseline: 4 })

interface BadClient {
  kind: 'trickler' | 'staller' | 'nonreader'
  socket: Socket
  openedAt: number
  /** First status line seen, and when (ms after open). */
  status?: string
  statusAtMs?: number
  /** When the server closed or reset the connection (ms after open), and how. */
  closedAtMs?: number
  closeHow?: string
  bytesSent: number
  stop(): void
}

function requestHead(port: number, payload: Payload, extra = ''): string {
  return (
    `POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: ${payload.contentType}\r\n` +
    `Cache-Control: no-store\r\nContent-Length: ${payload.body.length}\r\n${extra}\r\n`
  )
}

function open(kind: BadClient['kind'], port: number): BadClient {
  const socket = connect(port, '127.0.0.1')
  const client: BadClient = { kind, socket, openedAt: performance.now(), bytesSent: 0, stop: () => {} }
  const since = () => round(performance.now() - client.openedAt)
  socket.on('data', (chunk: Buffer) => {
    if (client.status) return
    client.status = chunk.toString('latin1').split('\r\n')[0]
    client.statusAtMs = since()
  })
  socket.on('error', (e: NodeJS.ErrnoException) => (client.closeHow ??= e.code ?? e.message))
  socket.on('close', () => {
    client.closedAtMs ??= since()
    client.closeHow ??= 'closed'
  })
  return client
}

/** Headers, then one body byte every 100 ms (a 34 KB body would take ~1 h). */
function trickler(port: number, payload: Payload): BadClient {
  const c = open('trickler', port)
  c.socket.write(requestHead(port, payload))
  const timer = setInterval(() => {
    if (c.socket.destroyed || c.bytesSent >= payload.body.length) return clearInterval(timer)
    c.socket.write(payload.body.subarray(c.bytesSent, c.bytesSent + 1))
    c.bytesSent++
  }, 100)
  c.stop = () => clearInterval(timer)
  return c
}

/** Headers and half the body, then silence. */
function staller(port: number, payload: Payload): BadClient {
  const c = open('staller', port)
  c.bytesSent = payload.body.length >> 1
  c.socket.write(requestHead(port, payload))
  c.socket.write(payload.body.subarray(0, c.bytesSent))
  return c
}

/** One request with a large answer, and never reads it: the answer sits in socket buffers. */
function nonreader(port: number, body: Payload): BadClient {
  const c = open('nonreader', port)
  c.socket.pause() // paused: nothing is read, the receive window fills, the server's writes back up
  c.socket.removeAllListeners('data')
  c.socket.write(requestHead(port, body))
  c.socket.write(body.body)
  c.bytesSent = body.body.length
  return c
}

/** The JPEG part 16 times plus `top_k=1000`: an answer of 16 × 1000 labels (~1 MB). */
function bigAnswer(payload: Payload): Payload {
  const boundary = payload.contentType.split('boundary=')[1]!
  const [part] = payload.body.toString('latin1').split(`--${boundary}--`)
  const text = part!.repeat(16) + `--${boundary}\r\nContent-Disposition: form-data; name="top_k"\r\n\r\n1000\r\n--${boundary}--\r\n`
  return { ...payload, imagesPerRequest: 16, body: Buffer.from(text, 'latin1') }
}

const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '06': 'TIME_WAIT',
  '08': 'CLOSE_WAIT',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2'
}

/**
 * Client-side TCP sockets to `port` by state, from /proc/net/tcp: CLOSE_WAIT means the server closed the
 * connection (a paused socket never reads the FIN, so 'close' alone cannot tell).
 */
function clientSocketStates(port: number): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/)
    if (cols.length < 4 || parseInt(cols[2]!.split(':')[1]!, 16) !== port) continue
    const state = TCP_STATES[cols[3]!] ?? cols[3]!
    counts[state] = (counts[state] ?? 0) + 1
  }
  return counts
}

/** Resumes the non-readers and reads what the server left for them for `ms`: bytes each, and whether it ended. */
async function drainNonReaders(clients: BadClient[], ms: number): Promise<string> {
  const received = clients.map(() => ({ bytes: 0, status: '', ended: false }))
  clients.forEach((c, i) => {
    c.socket.on('data', (chunk: Buffer) => {
      if (!received[i]!.status) received[i]!.status = chunk.toString('latin1').split('\r\n')[0]!.replace('HTTP/1.1 ', '')
      received[i]!.bytes += chunk.length
    })
    c.socket.on('end', () => (received[i]!.ended = true))
    c.socket.resume()
  })
  await Bun.sleep(ms)
  return fmtTally(tally2(received.map((r) => `${r.status || 'nothing'}, ${Math.round(r.bytes / 1024)} KB${r.ended ? ', then FIN' : ''}`)))
}

const tally2 = (keys: string[]) => keys.reduce<Record<string, number>>((acc, k) => ((acc[k] = (acc[k] ?? 0) + 1), acc), {})

function describe(clients: BadClient[]): string {
  const counts: Record<string, number> = {}
  for (const c of clients) {
    const what = c.status
      ? `${c.status.replace('HTTP/1.1 ', '')} at ~${Math.round((c.statusAtMs ?? 0) / 1000)} s`
      : c.closedAtMs !== undefined
        ? `no answer, ${c.closeHow} at ~${Math.round(c.closedAtMs / 1000)} s`
        : 'no answer, still open'
    counts[what] = (counts[what] ?? 0) + 1
  }
  return fmtTally(counts)
}

async function main(): Promise<void> {
  const payload = await jpegPayload()
  const big = bigAnswer(payload)
  const server = await startServer()
  const port = Number(new URL(server.url).port)
  const bad: BadClient[] = []
  try {
    const normal = () => send(server.url, payload)
    await closedLoop(4, 2, normal) // warm-up
    const base = await closedLoop(4, opts.baseline, normal)
    const rssBefore = rssMb(server.pid)
    const m0 = await metrics(server.url)
    const rss = sampleRss(server.pid, 500)
    for (let i = 0; i < opts.tricklers; i++) bad.push(trickler(port, payload))
    for (let i = 0; i < opts.stallers; i++) bad.push(staller(port, payload))
    for (let i = 0; i < opts.nonreaders; i++) bad.push(nonreader(port, big))
    const during = await closedLoop(4, opts.seconds, normal)
    const inFlight = metric(await metrics(server.url), 'bun_infer_requests_in_flight')
    rss.stop()
    const socketStates = clientSocketStates(port)
    const stillOpen = bad.filter((c) => c.closedAtMs === undefined)
    const nonReaders = await drainNonReaders(
      bad.filter((c) => c.kind === 'nonreader'),
      1000
    )
    const m1 = await metrics(server.url)
    const kinds = ['trickler', 'staller', 'nonreader'] as const
    const answered = (status: string) =>
      metric(m1, 'bun_infer_http_requests_total', { status }) - metric(m0, 'bun_infer_http_requests_total', { status })
    report(
      `Slow clients: ${opts.tricklers} tricklers, ${opts.stallers} stallers, ${opts.nonreaders} non-readers, ${opts.seconds} s`,
      [
        ['normal clients (4 conn) without bad clients: outcomes', fmtTally(tally(base.outcomes))],
        ['… 200 latency p50 / p99 / max ms, req/s', `${latencyCell(base.outcomes.filter((o) => o.status === 200))}, ${round(base.rps)}`],
        ['normal clients with bad clients: outcomes', fmtTally(tally(during.outcomes))],
        [
          '… 200 latency p50 / p99 / max ms, req/s',
          `${latencyCell(during.outcomes.filter((o) => o.status === 200))}, ${round(during.rps)}`
        ],
        ...kinds.slice(0, 2).map((k): [string, string] => [`${k}s got`, describe(bad.filter((c) => c.kind === k))]),
        [`non-readers: what was waiting for them after ${opts.seconds} s (read at the end)`, nonReaders],
        ['client sockets to the server at the end, by TCP state', fmtTally(socketStates)],
        [
          'connections the server had not closed at the end (trickler / staller / non-reader)',
          kinds.map((k) => stillOpen.filter((c) => c.kind === k).length).join(' / ')
        ],
        [
          'server answers during the phase by status (metric)',
          ['200', '408', '413', '504', '503', '400'].map((s) => `${s}: ${answered(s)}`).join(', ')
        ],
        ['requests in flight at the end (metric)', inFlight],
        [
          'RSS MB before / max during / end',
          `${round(rssBefore)} / ${round(Math.max(...rss.samples.map((s) => s.mb)))} / ${round(rssMb(server.pid))}`
        ]
      ],
      [
        'Tricklers send 1 byte per 100 ms; stallers half the body then nothing; non-readers send 16 images with top_k=1000 (~1 MB answer) on a paused socket.',
        'A body not received within BUN_INFER_BODY_TIMEOUT_MS (default 10 s) should end in 408 body_timeout; before that setting existed the request deadline (30 s) ended it with 504.'
      ]
    )
    const p99 = (o: typeof base.outcomes) => {
      const ms = o
        .filter((x) => x.status === 200)
        .map((x) => x.ms)
        .sort((a, b) => a - b)
      return ms[Math.ceil(ms.length * 0.99) - 1] ?? NaN
    }
    verdict([
      ['normal clients: every request 200', during.outcomes.every((o) => o.status === 200)],
      ['normal clients: p99 within 3× the no-bad-client p99 (+20 ms)', p99(during.outcomes) <= 3 * p99(base.outcomes) + 20],
      [
        'every trickler and staller was answered or closed by the server',
        bad.filter((c) => c.kind !== 'nonreader').every((c) => c.status || c.closedAtMs !== undefined)
      ],
      // RFC 9110 §15.5.9: a 408 means the server is closing the connection; one left open lets a slow client hold it forever.
      ['the server closed every trickler and staller connection', stillOpen.every((c) => c.kind === 'nonreader')]
    ])
  } finally {
    for (const c of bad) {
      c.stop()
      c.socket.destroy()
    }
    await server.stop()
  }
}

await main()
