/**
 * SIGTERM under load. Open-loop load at `--load` × capacity, plus a burst of `--burst` requests just before
 * the signal so the queue is deep when it comes; the load keeps arriving after the signal until `--after` s.
 * Every request must end as 200 (admitted before the signal), 503 draining (arrived while draining) or a
 * refused connection (arrived after the exit); anything else (reset, other 5xx, timeout) is a loss.
 * The process must exit 0 within BUN_INFER_DRAIN_TIMEOUT_MS. Repeated `--runs` times on fresh servers.
 *
 *   bun bench/reliability/shutdown.ts [--runs 3] [--load 0.9] [--burst 64] [--before 3] [--after 3] [--drain-ms 10000]
 */
import { launch } from '../../tools/process/launch'
import { round } from '../lib/stats'
import {
  ensureFetchConcurrency,
  flags,
  fmtTally,
  jpegPayload,
  measureCapacity,
  openLoop,
  report,
  send,
  tally,
  verdict,
  type Outcome
} from './common'

const opts = flags({ runs: 3, load: 0.9, burst: 64, before: 3, after: 3, 'drain-ms': 10_000, quick: false })
if (opts.quick) Object.assign(opts, { runs: 1, before: 2, after: 2 })

/** Refused after the exit (nothing listens): fine. Bun names it ConnectionRefused, Node ECONNREFUSED. */
const refused = (o: Outcome) => o.status === 0 && /refused/i.test(o.error ?? '')
const clean = (o: Outcome) => o.status === 200 || (o.status === 503 && o.code === 'draining') || refused(o)

interface Run {
  exitCode: number
  signalAt: number
  drainMs: number
  inFlightAtSignal: number
  beforeSignal: Outcome[]
  afterSignal: Outcome[]
  drainedLog: string
}

async function oneRun(rate: number): Promise<Run> {
  const payload = await jpegPayload()
  // Info level: the helper finds the port in the 'ready' line, and the 'stopped' line says whether it drained.
  const server = await launch({
    env: { BUN_INFER_DRAIN_TIMEOUT_MS: String(opts['drain-ms']), BUN_INFER_LOG_LEVEL: 'info', BUN_INFER_MAX_CACHE_ENTRIES: '0' }
  })
  try {
    let signalAt = 0
    let exitAt = 0
    const exited = server.proc.exited.then((code) => ((exitAt = performance.now()), code))
    const burst: Promise<Outcome>[] = []
    const timer = setTimeout(
      () => {
        for (let i = 0; i < opts.burst; i++) burst.push(send(server.url, payload))
        setTimeout(() => {
          signalAt = performance.now()
          server.proc.kill('SIGTERM')
        }, 50)
      },
      opts.before * 1000 - 50
    )
    const sent: Outcome[] = []
    const loop = await openLoop({
      phases: [{ rate, durationS: opts.before + opts.after, label: 'load' }],
      maxInFlight: 2000,
      send: () => send(server.url, payload, { timeoutMs: opts['drain-ms'] + 10_000 }).then((o) => (sent.push(o), o))
    })
    clearTimeout(timer)
    const all = [...loop.outcomes, ...(await Promise.all(burst))]
    const exitCode = await exited
    const inFlightAtSignal = all.filter((o) => o.sentAt < signalAt && o.sentAt + o.ms > signalAt).length
    const drainedLog = server.logs.find((l) => l.includes('"msg":"stopped"')) ?? '(no "stopped" line)'
    return {
      exitCode,
      signalAt,
      drainMs: exitAt - signalAt,
      inFlightAtSignal,
      beforeSignal: all.filter((o) => o.sentAt < signalAt),
      afterSignal: all.filter((o) => o.sentAt >= signalAt),
      drainedLog
    }
  } finally {
    await server.stop('SIGKILL')
  }
}

const count = (lost: Outcome[]) => (lost.length ? fmtTally(tally(lost)) : 0)

async function main(): Promise<void> {
  if (await ensureFetchConcurrency(4096)) return
  const probe = await launch({ env: { BUN_INFER_LOG_LEVEL: 'info', BUN_INFER_MAX_CACHE_ENTRIES: '0' } })
  let capacity: number
  try {
    capacity = await measureCapacity(probe.url, await jpegPayload(), 3)
  } finally {
    await probe.stop('SIGKILL')
  }
  const rate = Math.round(capacity * opts.load)
  const runs: Run[] = []
  for (let i = 0; i < opts.runs; i++) runs.push(await oneRun(rate))
  const rows: [string, string | number][] = [
    ['capacity (16 conn) / offered rate', `${round(capacity)} / ${rate} req/s + a ${opts.burst}-request burst 50 ms before SIGTERM`]
  ]
  runs.forEach((r, i) => {
    rows.push(
      [`run ${i + 1}: exit code, SIGTERM → exit`, `${r.exitCode}, ${round(r.drainMs)} ms (drain timeout ${opts['drain-ms']} ms)`],
      [
        `run ${i + 1}: in flight at SIGTERM · server's last line`,
        `${r.inFlightAtSignal} · \`${r.drainedLog.replace(/"time":"[^"]*",/, '')}\``
      ],
      [`run ${i + 1}: sent before SIGTERM`, fmtTally(tally(r.beforeSignal))],
      [`run ${i + 1}: sent after SIGTERM`, fmtTally(tally(r.afterSignal))],
      [`run ${i + 1}: admitted and lost (sent before SIGTERM, not 200 / 503 draining)`, count(r.beforeSignal.filter((o) => !clean(o)))],
      [`run ${i + 1}: unclean after SIGTERM (not 503 draining / refused)`, count(r.afterSignal.filter((o) => !clean(o)))]
    )
  })
  report(`Shutdown: SIGTERM under ${opts.load}× capacity, ${opts.runs} run(s)`, rows, [
    'A request sent before SIGTERM was admitted (or rejected 429 by a full queue) by the live server; it must end in 200.',
    'Sent after SIGTERM: 503 draining while the process drains, then connection refused once it has exited.'
  ])
  verdict([
    ['every run exited 0 within the drain timeout', runs.every((r) => r.exitCode === 0 && r.drainMs < opts['drain-ms'])],
    // One sent a few ms before the signal may reach the handler after it: 503 draining is right for it.
    [
      'every request sent ≥ 100 ms before SIGTERM got 200',
      runs.every((r) => r.beforeSignal.every((o) => o.status === 200 || o.sentAt > r.signalAt - 100))
    ],
    ['zero admitted requests lost', runs.every((r) => r.beforeSignal.every(clean))],
    ['every request after SIGTERM clean (503 draining or refused)', runs.every((r) => r.afterSignal.every(clean))]
  ])
}

await main()
