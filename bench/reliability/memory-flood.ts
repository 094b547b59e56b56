/**
 * Memory flood: `--clients` hostile clients at once, each sending a `--body-mb` MB body (a JPEG header,
 * then filler; multipart and base64 JSON alternately) again and again for `--seconds` s, while one
 * well-behaved client sends the small photo back to back. Checks that server RSS stays bounded (peak
 * ≤ 500 MB), nothing answers 5xx, the server does not crash, the good client keeps succeeding, and RSS is
 * back within +50 MB of the warm baseline `--after` s after the flood.
 *
 *   bun bench/reliability/memory-flood.ts [--clients 64] [--body-mb 30] [--seconds 30] [--after 10] [--quick]
 *   bun bench/reliability/memory-flood.ts --server-root /path/to/other/checkout   # the same load on other code
 */
import { startChild } from '../lib/child'
import type { Payload } from '../lib/payloads'
import { round } from '../lib/stats'
import { flags, fmtTally, jpegPayload, latencyCell, report, ROOT, rssMb, sampleRss, send, SERVER_CMD, tally, verdict, type Outcome } from './common'

const opts = flags({ clients: 64, 'body-mb': 30, seconds: 30, after: 10, warm: 5, 'pause-ms': 20, 'server-root': ROOT, quick: false })
if (opts.quick) Object.assign(opts, { clients: 16, seconds: 8, after: 10, warm: 3 })
const TARGET_PEAK_MB = 500
const TARGET_AFTER_MB = 50

/** A hostile body of `bytes`: a JPEG start-of-image marker, then filler (never a decodable image). */
function floodPayloads(bytes: number): Payload[] {
  const image = (n: number) => Buffer.alloc(n, 0x41).fill(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 0, 4)
  const boundary = 'memory-flood-boundary'
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="flood.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`)
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const multipart = Buffer.concat([head, image(bytes - head.length - tail.length), tail])
  // base64 turns 3 bytes into 4: an image of 3/4 of the size makes a body of `bytes`.
  const base64 = Buffer.from(JSON.stringify({ image: image(Math.floor(((bytes - 16) * 3) / 4)).toString('base64') }))
  // `name` only labels a payload; these two are sent as the small JPEG's multipart and base64 shapes.
  return [
    { name: 'jpeg', image: 'jpeg', imagesPerRequest: 1, contentType: `multipart/form-data; boundary=${boundary}`, body: multipart },
    { name: 'b64-jpeg', image: 'jpeg', imagesPerRequest: 1, contentType: 'application/json', body: base64 }
  ]
}

/** Sends with `sendOne` back to back until `until` (performance.now()), pausing `pauseMs` after each. */
async function loopUntil(until: number, pauseMs: number, sendOne: () => Promise<Outcome>): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  while (performance.now() < until) {
    outcomes.push(await sendOne())
    if (pauseMs > 0) await Bun.sleep(pauseMs)
  }
  return outcomes
}

const statusesOf = (outcomes: Outcome[], from: number) => outcomes.filter((o) => o.status >= from)

async function main(): Promise<void> {
  const photo = await jpegPayload()
  const flood = floodPayloads(opts['body-mb'] * 1e6)
  const server = await startChild(SERVER_CMD, { BUN_INFER_LOG_LEVEL: 'warn' }, opts['server-root'])
  const rss = sampleRss(server.pid, 100)
  try {
    const goodSend = () => send(server.url, photo)
    const warmEnd = performance.now() + opts.warm * 1000
    await loopUntil(warmEnd, 0, goodSend)
    const warmRss = rssMb(server.pid)
    const floodStart = performance.now()
    const floodEnd = floodStart + opts.seconds * 1000
    const afterEnd = floodEnd + opts.after * 1000
    const good = loopUntil(afterEnd, 0, goodSend)
    const hostile = await Promise.all(
      Array.from({ length: opts.clients }, (_, i) => loopUntil(floodEnd, opts['pause-ms'], () => send(server.url, flood[i % 2]!, { timeoutMs: 30_000 })))
    )
    const floodDone = performance.now()
    await Bun.sleep(Math.max(0, floodDone + opts.after * 1000 - performance.now()))
    const afterRss = rssMb(server.pid)
    const goodOutcomes = await good
    rss.stop()
    const crashed = Number.isNaN(rssMb(server.pid))
    const floodOutcomes = hostile.flat()
    const goodDuring = goodOutcomes.filter((o) => o.sentAt >= floodStart && o.sentAt < floodDone)
    const goodAfter = goodOutcomes.filter((o) => o.sentAt >= floodDone)
    const okDuring = goodDuring.filter((o) => o.status === 200)
    const peak = Math.max(...rss.samples.filter((s) => s.at >= floodStart).map((s) => s.mb).filter((mb) => !Number.isNaN(mb)))
    const fivexx = statusesOf([...floodOutcomes, ...goodOutcomes], 500).length
    report(
      `Memory flood: ${opts.clients} clients × ${opts['body-mb']} MB bodies for ${opts.seconds} s, one good client`,
      [
        ['server', opts['server-root'] === ROOT ? 'this checkout' : opts['server-root']],
        ['flood requests sent (multipart / base64 alternately by client)', floodOutcomes.length],
        ['flood outcomes', fmtTally(tally(floodOutcomes))],
        ['flood latency p50 / p99 / max ms', latencyCell(floodOutcomes)],
        ['good client during the flood', `${okDuring.length} of ${goodDuring.length} ok (${fmtTally(tally(goodDuring))})`],
        ['good client 200 latency during the flood p50 / p99 / max ms', latencyCell(okDuring)],
        ['good client after the flood', fmtTally(tally(goodAfter))],
        ['5xx (all clients) / server crashed', `${fivexx} / ${crashed ? 'YES' : 'no'}`],
        ['server RSS MB: warm baseline / peak during and after the flood', `${round(warmRss)} / ${round(peak)}`],
        [`server RSS MB ${opts.after} s after the flood (vs warm)`, `${round(afterRss)} (${afterRss >= warmRss ? '+' : ''}${round(afterRss - warmRss)})`]
      ],
      [`Flood clients pause ${opts['pause-ms']} ms between requests (so the load generator does not spin on fast refusals); the good client sends back to back.`]
    )
    verdict([
      [`peak RSS ≤ ${TARGET_PEAK_MB} MB`, peak <= TARGET_PEAK_MB],
      ['no 5xx', fivexx === 0],
      ['no crash', !crashed],
      ['the good client kept succeeding (≥ 95 % of its requests during the flood, all after)', okDuring.length >= 0.95 * goodDuring.length && goodAfter.every((o) => o.status === 200)],
      [`RSS within +${TARGET_AFTER_MB} MB of the warm baseline ${opts.after} s after`, afterRss - warmRss <= TARGET_AFTER_MB]
    ])
  } finally {
    rss.stop()
    await server.stop()
  }
}

await main()
