/**
 * Clients that hang up while their request is queued. One worker and `--fillers` closed-loop clients keep
 * the queue deep (a few hundred ms of wait); meanwhile `--leavers` requests are sent at a steady pace and
 * each client aborts `--abort-ms` after sending. The server should skip their queued images
 * (bun_infer_queue_skipped_total) and run inference only for images that were already in a batch.
 *
 *   bun bench/reliability/disconnects.ts [--fillers 192] [--leavers 200] [--abort-ms 100] [--seconds 10] [--quick]
 */
import { round } from '../lib/stats'
import {
  closedLoop,
  flags,
  fmtTally,
  jpegPayload,
  metric,
  metrics,
  report,
  send,
  startServer,
  tally,
  verdict,
  type Outcome
} from './common'

const opts = flags({ fillers: 192, leavers: 200, 'abort-ms': 100, seconds: 10, quick: false })
if (opts.quick) Object.assign(opts, { leavers: 60, seconds: 4 })

async function main(): Promise<void> {
  const payload = await jpegPayload()
  const server = await startServer({ BUN_INFER_WORKERS: '1', BUN_INFER_MAX_QUEUE_IMAGES: '1024' })
  try {
    await closedLoop(8, 2, () => send(server.url, payload)) // warm-up
    const m0 = await metrics(server.url)
    const leavers: Promise<Outcome>[] = []
    const fill = closedLoop(opts.fillers, opts.seconds, () => send(server.url, payload))
    const gapMs = (opts.seconds * 1000 * 0.8) / opts.leavers
    await Bun.sleep(opts.seconds * 100) // let the queue build first
    for (let i = 0; i < opts.leavers; i++) {
      leavers.push(send(server.url, payload, { signal: AbortSignal.timeout(opts['abort-ms']) }))
      await Bun.sleep(gapMs)
    }
    const [filled, left] = await Promise.all([fill, Promise.all(leavers)])
    await Bun.sleep(200) // the server logs and counts the aborted ones after the client is gone
    const m1 = await metrics(server.url)
    const d = (name: string, where: Record<string, string> = {}) => metric(m1, name, where) - metric(m0, name, where)
    const fillerOk = filled.outcomes.filter((o) => o.status === 200).length
    const leaverOk = left.filter((o) => o.status === 200).length
    const aborted = left.filter((o) => o.status === 0).length
    const inferred = d('bun_infer_batch_size_sum')
    const inferredForAborted = inferred - fillerOk - leaverOk
    const skipped = d('bun_infer_queue_skipped_total')
    const queueWaitMs =
      (d('bun_infer_stage_duration_seconds_sum', { stage: 'queue' }) /
        Math.max(1, d('bun_infer_stage_duration_seconds_count', { stage: 'queue' }))) *
      1000
    report(
      `Disconnects while queued: ${opts.leavers} clients abort ${opts['abort-ms']} ms after sending, 1 worker, ${opts.fillers} fillers`,
      [
        ['fillers: outcomes', fmtTally(tally(filled.outcomes))],
        ['mean queue wait of answered images (server metric)', `${round(queueWaitMs)} ms`],
        ['leavers: outcomes at the client', fmtTally(tally(left))],
        ['leavers aborted (client hung up before the answer)', aborted],
        ['queue_skipped_total delta (queued images dropped before inference)', skipped],
        [
          'images inferred (batch_size_sum delta) − 200s answered',
          `${inferred} − ${fillerOk + leaverOk} = ${inferredForAborted} inferred for aborted clients`
        ],
        ['aborted clients never queued (left during body read / decode)', Math.max(0, aborted - skipped - inferredForAborted)],
        [
          'server-side status of predict requests (metric delta)',
          ['200', '499', '504', '429', '503']
            .map((s) => `${s}: ${d('bun_infer_http_requests_total', { status: s, route: '/v1/predict' })}`)
            .join(', ')
        ],
        ['worker restarts', d('bun_infer_worker_restarts_total')]
      ],
      [
        'An aborted request is logged and counted by the server as 499 client_closed (504 is kept for missed deadlines); no one reads that answer.'
      ]
    )
    verdict([
      ['fillers: every request 200', filled.outcomes.every((o) => o.status === 200)],
      ['skipped images counted (> 0)', skipped > 0],
      ['at most 10 % of aborted clients cost inference', inferredForAborted <= Math.ceil(aborted * 0.1)]
    ])
  } finally {
    await server.stop()
  }
}

await main()
