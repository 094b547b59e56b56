/**
 * Open-loop overload: 50 % of measured capacity (baseline), then `--factor`× capacity for `--duration` s,
 * then 50 % again. Checks that accepted requests meet their deadline, rejections are fast 429s, RSS stays
 * bounded, and latency is back to the baseline within 2 s of the overload ending.
 *
 *   bun bench/reliability/overload.ts [--duration 30] [--factor 3] [--deadline-ms 0] [--quick]
 */
import { round, summarise } from '../lib/stats'
import {
  ensureFetchConcurrency,
  flags,
  fmtTally,
  jpegPayload,
  latencyCell,
  measureCapacity,
  metric,
  metrics,
  openLoop,
  report,
  rssMb,
  sampleRss,
  send,
  startServer,
  tally,
  verdict,
  type Outcome
} from './common'

const opts = flags({ duration: 30, factor: 3, baseline: 5, after: 10, 'deadline-ms': 0, quick: false })
if (opts.quick) Object.assign(opts, { duration: 5, baseline: 3, after: 5 })
const BIN_MS = 250

/** Seconds after `start` from which every 250 ms bin is all-200 with p90 ≤ `limitMs`; NaN if never. */
function recoveredAfterS(outcomes: Outcome[], start: number, limitMs: number): number {
  const bins = new Map<number, Outcome[]>()
  for (const o of outcomes) {
    const bin = Math.floor((o.sentAt - start) / BIN_MS)
    bins.set(bin, [...(bins.get(bin) ?? []), o])
  }
  const indices = [...bins.keys()].sort((a, b) => a - b)
  let recovered = NaN
  for (const i of indices) {
    const bin = bins.get(i)!
    const normal = bin.every((o) => o.status === 200) && summarise(bin.map((o) => o.ms)).p90 <= limitMs
    if (!normal) recovered = NaN
    else if (Number.isNaN(recovered)) recovered = (i * BIN_MS) / 1000
  }
  return recovered
}

async function main(): Promise<void> {
  if (await ensureFetchConcurrency(4096)) return
  const payload = await jpegPayload()
  const server = await startServer()
  try {
    const rssIdle = rssMb(server.pid)
    const capacity = await measureCapacity(server.url, payload)
    const headers: Record<string, string> = opts['deadline-ms'] > 0 ? { 'x-request-timeout-ms': String(opts['deadline-ms']) } : {}
    const deadlineMs = opts['deadline-ms'] > 0 ? opts['deadline-ms'] : 30_000
    const before = await metrics(server.url)
    const rssStart = rssMb(server.pid)
    const rss = sampleRss(server.pid, 200)
    const low = Math.max(1, Math.round(capacity * 0.5))
    const high = Math.round(capacity * opts.factor)
    const run = await openLoop({
      phases: [
        { rate: low, durationS: opts.baseline, label: 'baseline' },
        { rate: high, durationS: opts.duration, label: 'overload' },
        { rate: low, durationS: opts.after, label: 'after' }
      ],
      maxInFlight: 3000,
      send: () => send(server.url, payload, { headers, timeoutMs: deadlineMs + 10_000 })
    })
    rss.stop()
    const after = await metrics(server.url)
    const phase = (label: string) => run.outcomes.filter((o) => o.phase === label)
    const [base, over, post] = [phase('baseline'), phase('overload'), phase('after')]
    const ok = over.filter((o) => o.status === 200)
    const rejected = over.filter((o) => o.status === 429)
    const baseStats = summarise(base.filter((o) => o.status === 200).map((o) => o.ms))
    const overloadStart = run.phaseStarts[1]!
    const afterStart = run.phaseStarts[2]!
    const during = rss.samples.filter((s) => s.at >= overloadStart && s.at < afterStart).map((s) => s.mb)
    const limitMs = Math.max(1.5 * baseStats.p99, baseStats.p99 + 20)
    const recovered = recoveredAfterS(post, afterStart, limitMs)
    const postLate = post.filter((o) => o.sentAt >= afterStart + 2000)
    const postLateOk = postLate.filter((o) => o.status === 200)
    const afterS = (performance.now() - afterStart) / 1000
    const fivexx = run.outcomes.filter((o) => o.status >= 500).length
    const transport = run.outcomes.filter((o) => o.status === 0).length
    report(
      `Overload: ${opts.factor}× capacity for ${opts.duration} s (open loop)`,
      [
        ['measured capacity (16 conn, closed loop)', `${round(capacity)} req/s`],
        ['offered: baseline / overload / after', `${low} / ${high} / ${low} req/s`],
        ['baseline outcomes', fmtTally(tally(base))],
        ['baseline 200 latency p50 / p99 / max ms', latencyCell(base.filter((o) => o.status === 200))],
        ['overload outcomes', fmtTally(tally(over))],
        ['overload accepted (200)', `${ok.length} (${round(ok.length / opts.duration)} req/s)`],
        ['overload rejected (429)', `${rejected.length} (${round((100 * rejected.length) / Math.max(1, over.length))} %)`],
        ['accepted latency p50 / p99 / max ms', `${latencyCell(ok)} (deadline ${deadlineMs} ms)`],
        ['429 latency p50 / p99 / max ms', latencyCell(rejected)],
        [
          '504 deadline_exceeded / other 5xx / transport errors',
          `${over.filter((o) => o.status === 504).length} / ${fivexx - run.outcomes.filter((o) => o.status === 504).length} / ${transport}`
        ],
        ['client-side skipped (over in-flight cap)', run.clientSkipped],
        [
          'RSS MB: idle / before load / max during overload / end',
          `${round(rssIdle)} / ${round(rssStart)} / ${round(Math.max(...during))} / ${round(rssMb(server.pid))}`
        ],
        [
          'queue skipped (server metric, delta)',
          metric(after, 'bun_infer_queue_skipped_total') - metric(before, 'bun_infer_queue_skipped_total')
        ],
        ['after-overload outcomes', fmtTally(tally(post))],
        [
          'recovered (every 250 ms bin all-200, p90 ≤ ' + round(limitMs) + ' ms) after',
          Number.isNaN(recovered) ? 'never' : `${recovered} s`
        ],
        ['from 2 s after: 200 latency p50 / p99 / max ms', latencyCell(postLateOk)],
        ['from 2 s after: throughput', `${round(postLateOk.length / Math.max(0.001, opts.after - 2))} req/s of ${low} offered`]
      ],
      [
        `Elapsed after the overload until the last reply: ${round(afterS)} s. Sender: fetch, one request per due tick (5 ms), in-flight cap 3000.`
      ]
    )
    verdict([
      ['no 5xx other than 504 and no transport errors', fivexx - over.filter((o) => o.status === 504).length === 0 && transport === 0],
      [
        'accepted requests met the deadline (no 504, max < deadline)',
        over.every((o) => o.status !== 504) && ok.every((o) => o.ms < deadlineMs)
      ],
      ['429 p99 ≤ 50 ms', rejected.length === 0 || summarise(rejected.map((o) => o.ms)).p99 <= 50],
      ['recovered within 2 s', recovered <= 2]
    ])
  } finally {
    await server.stop()
  }
}

await main()
