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
import { launch } from '../../tools/process/launch'
import type { Payload } from '../lib/payloads'
import { round } from '../lib/stats'
import { flags, fmtTally, jpegPayload, latencyCell, report, ROOT, rssMb, sampleRss, send, tally, verdict, type Outcome } from './common'

const opts = flags({
  clients: 64,
  'body-mb': 30,
  seconds: 30,
  after: 10,
  warm: 5,
  'pause-ms': 20,
  'server-root': ROOT,
  quick: false,
  'flood-url': ''
})
if (opts.quick) Object.assign(opts, { clients: 16, seconds: 8, after: 10, warm: 3 })
const TARGET_PEAK_MB = 500
const TARGET_AFTER_MB = 50

/** A hostile body of `bytes`: a JPEG start-of-image marker, then filler (never a decodable image). */
function floodPayloads(bytes: number): Payload[] {
  const image = (n: number) => Buffer.alloc(n, 0x41).fill(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 0, 4)
  const boundary = 'memory-flood-boundary'
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="flood.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`
  )
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const multipart = Buffer.concat([head, image(bytes - head.length - tail.length), tail])
  // base64 turns 3 bytes into 4: an image of 3/4 of the size makes a body of `bytes`.
  const base64 = Buffer.from(JSON.stringify({ image: image(Math.floor(((bytes - 16) * 3) / 4)).toString('base64') }))
  // `name` only labels a payload; these two are sent as the small JPEG's multipart and base64 shapes.
  return [
    {
      name: 'jpeg',
      image: 'jpeg',
      imagesPerRequest: 1,
      contentType: `multipart/form-data; boundary=${boundary}`,
      body: multipart,
      path: '/v1/predict'
    },
    { name: 'b64-jpeg', image: 'jpeg', imagesPerRequest: 1, contentType: 'application/json', body: base64, path: '/v1/predict' }
  ]
}

/** Sends with `sendOne` back to back until `done()`, pausing `pauseMs` after each. */
async function loopUntil(done: () => boolean, pauseMs: number, sendOne: () => Promise<Outcome>): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  while (!done()) {
    outcomes.push(await sendOne())
    if (pauseMs > 0) await Bun.sleep(pauseMs)
  }
  return outcomes
}

const statusesOf = (outcomes: Outcome[], from: number) => outcomes.filter((o) => o.status >= from)

/**
 * The flood runs in a process of its own: Bun's fetch sends every request of a process from one HTTP
 * thread, and 64 uploads of 30 MB would otherwise delay the good client's requests inside the client.
 * It prints its outcomes as one JSON line, with `sentAt` in its own clock (only durations are compared).
 */
async function floodProcess(): Promise<void> {
  const flood = floodPayloads(opts['body-mb'] * 1e6)
  const floodEnd = performance.now() + opts.seconds * 1000
  const hostile = await Promise.all(
    Array.from({ length: opts.clients }, (_, i) =>
      loopUntil(
        () => performance.now() >= floodEnd,
        opts['pause-ms'],
        () => send(opts['flood-url'], flood[i % 2]!, { timeoutMs: 30_000 })
      )
    )
  )
  console.log(JSON.stringify({ outcomes: hostile.flat(), lastReplyAfterS: (performance.now() - floodEnd) / 1000 }))
}

function startFlood(url: string): Promise<{ outcomes: Outcome[]; lastReplyAfterS: number }> {
  const args = [
    '--clients',
    opts.clients,
    '--body-mb',
    opts['body-mb'],
    '--seconds',
    opts.seconds,
    '--pause-ms',
    opts['pause-ms'],
    '--flood-url',
    url
  ]
  const child = Bun.spawn([process.execPath, import.meta.path, ...args.map(String)], { stdout: 'pipe', stderr: 'inherit' })
  return new Response(child.stdout).text().then((text) => JSON.parse(text))
}

async function main(): Promise<void> {
  const photo = await jpegPayload()
  const server = await launch({ env: { BUN_INFER_LOG_LEVEL: 'warn' }, cwd: opts['server-root'], warnIfGone: true })
  const rss = sampleRss(server.pid, 100)
  try {
    const goodSend = () => send(server.url, photo)
    const warmEnd = performance.now() + opts.warm * 1000
    await loopUntil(() => performance.now() >= warmEnd, 0, goodSend)
    const warmRss = rssMb(server.pid)
    const floodStart = performance.now()
    let afterDone = false
    const good = loopUntil(() => afterDone, 0, goodSend)
    const { outcomes: floodOutcomes, lastReplyAfterS } = await startFlood(server.url)
    const floodDone = performance.now()
    await Bun.sleep(Math.max(0, floodDone + opts.after * 1000 - performance.now()))
    const afterRss = rssMb(server.pid)
    afterDone = true
    const goodOutcomes = await good
    rss.stop()
    const crashed = Number.isNaN(rssMb(server.pid))
    const goodDuring = goodOutcomes.filter((o) => o.sentAt >= floodStart && o.sentAt < floodDone)
    const goodAfter = goodOutcomes.filter((o) => o.sentAt >= floodDone)
    const okDuring = goodDuring.filter((o) => o.status === 200)
    const peak = Math.max(
      ...rss.samples
        .filter((s) => s.at >= floodStart)
        .map((s) => s.mb)
        .filter((mb) => !Number.isNaN(mb))
    )
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
        [
          `server RSS MB ${opts.after} s after the flood (vs warm)`,
          `${round(afterRss)} (${afterRss >= warmRss ? '+' : ''}${round(afterRss - warmRss)})`
        ]
      ],
      [
        `Flood clients pause ${opts['pause-ms']} ms between requests (so the load generator does not spin on fast refusals); the good client sends back to back.`,
        `The flood (a process of its own) got its last reply ${round(lastReplyAfterS)} s after it stopped sending; "after" counts from that reply.`
      ]
    )
    verdict([
      [`peak RSS ≤ ${TARGET_PEAK_MB} MB`, peak <= TARGET_PEAK_MB],
      ['no 5xx', fivexx === 0],
      ['no crash', !crashed],
      [
        'the good client kept succeeding (≥ 95 % of its requests during the flood, all after)',
        okDuring.length >= 0.95 * goodDuring.length && goodAfter.length > 0 && goodAfter.every((o) => o.status === 200)
      ],
      [`RSS within +${TARGET_AFTER_MB} MB of the warm baseline ${opts.after} s after`, afterRss - warmRss <= TARGET_AFTER_MB]
    ])
  } finally {
    rss.stop()
    await server.stop()
  }
}

if (opts['flood-url']) await floodProcess()
else await main()
