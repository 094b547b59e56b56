/**
 * Soak: open-loop load at `--load` × measured capacity for `--minutes`. RSS is read from /proc every second;
 * drift = median RSS of the last `--window` s against the median of the first `--window` s after the
 * warm-up (the first `--warmup` s, or 10 % of the run when shorter). Target: drift < 5 %, zero errors.
 *
 *   bun bench/reliability/soak.ts [--minutes 10] [--load 0.7] [--warmup 60] [--window 30]
 */
import { round, summarise } from '../lib/stats'
import {
  flags,
  fmtTally,
  jpegPayload,
  latencyCell,
  measureCapacity,
  metric,
  metrics,
  openLoop,
  report,
  sampleRss,
  send,
  startServer,
  tally,
  verdict
} from './common'

const opts = flags({ minutes: 10, load: 0.7, warmup: 60, window: 30 })

const median = (xs: number[]) => summarise(xs).p50

/** Least-squares slope of (t, mb) in MB per minute. */
function slopePerMin(points: { at: number; mb: number }[]): number {
  const n = points.length
  if (n < 2) return NaN
  const mt = points.reduce((s, p) => s + p.at, 0) / n
  const mm = points.reduce((s, p) => s + p.mb, 0) / n
  let num = 0
  let den = 0
  for (const p of points) {
    num += (p.at - mt) * (p.mb - mm)
    den += (p.at - mt) ** 2
  }
  return (num / den) * 60_000
}

async function main(): Promise<void> {
  const payload = await jpegPayload()
  const server = await startServer()
  try {
    const capacity = await measureCapacity(server.url, payload)
    const rate = Math.max(1, Math.round(capacity * opts.load))
    const durationS = opts.minutes * 60
    const warmupS = Math.min(opts.warmup, durationS * 0.1)
    const m0 = await metrics(server.url)
    const rss = sampleRss(server.pid, 1000)
    const progress = setInterval(() => {
      const last = rss.samples.at(-1)
      process.stderr.write(`  soak: ${rss.samples.length}/${durationS} s, RSS ${last ? round(last.mb) : '?'} MB\n`)
    }, 60_000)
    const run = await openLoop({
      phases: [{ rate, durationS, label: 'soak' }],
      maxInFlight: 2000,
      send: () => send(server.url, payload)
    }).finally(() => {
      clearInterval(progress)
      rss.stop()
    })
    const m1 = await metrics(server.url)
    const start = run.phaseStarts[0]!
    const steady = rss.samples.filter((s) => s.at >= start + warmupS * 1000)
    const first = steady.filter((s) => s.at < steady[0]!.at + opts.window * 1000).map((s) => s.mb)
    const last = steady.filter((s) => s.at > run.endedAt - opts.window * 1000).map((s) => s.mb)
    const drift = (median(last) / median(first) - 1) * 100
    const ok = run.outcomes.filter((o) => o.status === 200)
    const errors = run.outcomes.length - ok.length
    const rows: [string, string | number][] = [
      ['capacity (16 conn, closed loop) / offered', `${round(capacity)} / ${rate} req/s (${opts.load * 100} %) for ${opts.minutes} min`],
      ['requests sent / outcomes', `${run.outcomes.length} · ${fmtTally(tally(run.outcomes))}`],
      ['errors (non-200, transport) / client-side skipped', `${errors} / ${run.clientSkipped}`],
      ['achieved', `${round(ok.length / durationS)} req/s`],
      ['200 latency p50 / p99 / max ms', latencyCell(ok)],
      [
        `RSS MB: first ${opts.window} s after ${round(warmupS)} s warm-up (median) → last ${opts.window} s (median)`,
        `${round(median(first))} → ${round(median(last))}`
      ],
      ['RSS drift after warm-up', `${round(drift)} %`],
      [
        'RSS MB min / max after warm-up, trend',
        `${round(Math.min(...steady.map((s) => s.mb)))} / ${round(Math.max(...steady.map((s) => s.mb)))}, ${round(slopePerMin(steady))} MB/min`
      ],
      [
        'worker restarts / queue skipped',
        `${metric(m1, 'bun_infer_worker_restarts_total') - metric(m0, 'bun_infer_worker_restarts_total')} / ${metric(m1, 'bun_infer_queue_skipped_total') - metric(m0, 'bun_infer_queue_skipped_total')}`
      ]
    ]
    // One row per minute: how latency and memory moved.
    for (let m = 0; m < opts.minutes; m++) {
      const from = start + m * 60_000
      const inMin = ok.filter((o) => o.sentAt >= from && o.sentAt < from + 60_000)
      const mem = rss.samples.filter((s) => s.at >= from && s.at < from + 60_000).map((s) => s.mb)
      rows.push([
        `minute ${m + 1}: 200s, p50 / p99 / max ms, RSS median MB`,
        `${inMin.length}, ${latencyCell(inMin)}, ${round(median(mem))}`
      ])
    }
    report(`Soak: ${opts.load * 100} % of capacity for ${opts.minutes} min`, rows)
    verdict([
      ['zero errors', errors === 0 && run.clientSkipped === 0],
      ['RSS drift after warm-up < 5 %', drift < 5]
    ])
  } finally {
    await server.stop()
  }
}

await main()
