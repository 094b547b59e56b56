/**
 * Faults: (1) a worker crashing mid-batch under load (test-only hook x-bun-infer-fault: crash), `--crashes`
 * times; (2) startup with a broken model repository; (3) Redis stopped and restarted mid-run under load
 * with the shared cache on. Any part can be skipped: --only crash|model|redis.
 *
 *   bun bench/reliability/faults.ts [--crashes 5] [--redis-seconds 12] [--only all] [--quick]
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { editManifest, tempModelRepo } from '../../tools/model-repo'
import { startRedisServer } from '../../tools/process/redis-server'
import { round } from '../lib/stats'
import type { Payload } from '../lib/payloads'
import {
  flags,
  fmtTally,
  jpegPayload,
  latencyCell,
  metric,
  metrics,
  report,
  ROOT,
  SERVER_CMD,
  send,
  startServer,
  tally,
  verdict,
  type Outcome
} from './common'

const opts = flags({ crashes: 5, 'redis-seconds': 12, only: 'all', quick: false })
if (opts.quick) Object.assign(opts, { crashes: 2, 'redis-seconds': 8 })
const checks: [string, boolean][] = []

/** Closed loop of `connections` until `stop()`; every outcome kept with its send time. */
function background(connections: number, sendOne: () => Promise<Outcome>) {
  const outcomes: Outcome[] = []
  let running = true
  const done = Promise.all(
    Array.from({ length: connections }, async () => {
      while (running) outcomes.push(await sendOne())
    })
  )
  return { outcomes, stop: () => ((running = false), done) }
}

async function crashes(payload: Payload): Promise<void> {
  const server = await startServer({ BUN_INFER_ENABLE_FAULT_INJECTION: 'true' })
  try {
    const m0 = await metrics(server.url)
    const load = background(8, () => send(server.url, payload))
    await Bun.sleep(1000)
    const crashed: Outcome[] = []
    const notReadyMs: number[] = []
    for (let i = 0; i < opts.crashes; i++) {
      crashed.push(await send(server.url, payload, { headers: { 'x-bun-infer-fault': 'crash' } }))
      // How long readiness says 503 while the pool replaces the worker (50 ms polling).
      const from = performance.now()
      while (
        !(await fetch(`${server.url}/health/ready`).then(
          (r) => r.ok,
          () => false
        ))
      )
        await Bun.sleep(50)
      notReadyMs.push(performance.now() - from)
      await Bun.sleep(1000)
    }
    await load.stop()
    const m1 = await metrics(server.url)
    const lastCrashAnswered = Math.max(...crashed.map((o) => o.sentAt + o.ms))
    const firstCrashSent = Math.min(...crashed.map((o) => o.sentAt))
    const settled = (o: Outcome) => o.sentAt + o.ms
    // Neighbours: normal requests answered while a crash was in flight; "after": sent once the crash's 503 arrived.
    const after = load.outcomes.filter((o) => crashed.some((c) => o.sentAt > settled(c) && o.sentAt < settled(c) + 1000))
    const lost = load.outcomes.filter((o) => o.status === 503)
    report(`Worker crash mid-batch under load (8 connections), ${opts.crashes} crashes`, [
      ['crash requests', fmtTally(tally(crashed))],
      ['crash requests: latency p50 / p99 / max ms', latencyCell(crashed)],
      ['normal requests: outcomes (whole run)', fmtTally(tally(load.outcomes))],
      ['normal requests that shared a crashed batch (503 worker_lost)', `${lost.length}, latency ${latencyCell(lost)}`],
      ['normal requests sent within 1 s after each crash answer', fmtTally(tally(after))],
      ['readiness 503 after a crash answer (poll 50 ms)', notReadyMs.map((ms) => `${round(ms)}`).join(', ') + ' ms'],
      ['worker_restarts_total delta', metric(m1, 'bun_infer_worker_restarts_total') - metric(m0, 'bun_infer_worker_restarts_total')],
      ['span', `${round((lastCrashAnswered - firstCrashSent) / 1000)} s`]
    ])
    checks.push(
      // The hook (a test-only runner around the pool) crashes the next batch dispatched after the crash request
      // arrives: its own, or under load a neighbour's. Either way only that batch fails, promptly.
      ['crash requests: only 200 or 503 worker_lost', crashed.every((o) => o.status === 200 || o.code === 'worker_lost')],
      [
        'every 503 worker_lost within 2 s',
        [...crashed, ...load.outcomes].filter((o) => o.code === 'worker_lost').every((o) => o.ms < 2000)
      ],
      ['normal requests: only 200 or 503 worker_lost', load.outcomes.every((o) => o.status === 200 || o.code === 'worker_lost')],
      ['every request sent after a crash answer succeeded', after.every((o) => o.status === 200)],
      [
        'one restart per crash',
        metric(m1, 'bun_infer_worker_restarts_total') - metric(m0, 'bun_infer_worker_restarts_total') === opts.crashes
      ]
    )
  } finally {
    await server.stop()
  }
}

/** Runs the server on a broken repository until it exits (60 s cap); returns code, stderr and time. */
async function startBroken(modelsDir: string): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = performance.now()
  const proc = Bun.spawn([...SERVER_CMD, '--models-dir', modelsDir], {
    cwd: ROOT,
    env: { ...process.env, BUN_INFER_LOG_LEVEL: 'warn' },
    stdout: 'ignore',
    stderr: 'pipe'
  })
  const killer = setTimeout(() => proc.kill('SIGKILL'), 60_000)
  try {
    const stderr = await new Response(proc.stderr).text()
    return { code: await proc.exited, stderr: stderr.trim(), ms: performance.now() - started }
  } finally {
    clearTimeout(killer)
  }
}

async function brokenModels(): Promise<void> {
  const onnx = (dir: string) => join(dir, 'mobilenetv2/1/model.onnx')
  const cases: [string, (dir: string) => void][] = [
    ['text instead of ONNX', (d) => (rmSync(onnx(d)), writeFileSync(onnx(d), 'not onnx'))],
    [
      'truncated ONNX (first half)',
      (d) => {
        const bytes = readFileSync(onnx(d))
        rmSync(onnx(d))
        writeFileSync(onnx(d), bytes.subarray(0, bytes.length >> 1))
      }
    ],
    ['model.onnx missing', (d) => rmSync(onnx(d))],
    ['manifest: wrong output name', (d) => editManifest(d, 'mobilenetv2', (m) => (m.output.name = 'logits_out'))]
  ]
  const rows: [string, string][] = []
  for (const [name, breakIt] of cases) {
    const repo = tempModelRepo(breakIt)
    try {
      const r = await startBroken(repo.dir)
      const lines = r.stderr.split('\n').filter(Boolean)
      const message = lines.join(' ⏎ ').replaceAll(repo.dir, '<models>').replaceAll('|', '\\|')
      rows.push([name, `exit ${r.code} after ${round(r.ms)} ms, ${lines.length} line(s): \`${message.slice(0, 220)}\``])
      checks.push([`broken model (${name}): non-zero exit, one line`, r.code !== 0 && r.code !== null && lines.length === 1])
    } finally {
      repo.dispose()
    }
  }
  report('Startup with a broken model', rows)
}

/** The JPEG with a `top_k` part: a different cache key per value. */
function withTopK(payload: Payload, k: number): Payload {
  const boundary = payload.contentType.split('boundary=')[1]!
  const text = payload.body
    .toString('latin1')
    .replace(`--${boundary}--`, `--${boundary}\r\nContent-Disposition: form-data; name="top_k"\r\n\r\n${k}\r\n--${boundary}--`)
  return { ...payload, body: Buffer.from(text, 'latin1') }
}

async function redis(payload: Payload): Promise<void> {
  const redisServer = await startRedisServer()
  // One local entry: nearly every lookup goes on to Redis, so Redis going away is felt by every request.
  const server = await startServer({ BUN_INFER_REDIS_URL: redisServer.url, BUN_INFER_MAX_CACHE_ENTRIES: '1' }).catch(async (e) => {
    await redisServer.stop()
    throw e
  })
  try {
    const variants = Array.from({ length: 40 }, (_, i) => withTopK(payload, i + 1))
    let n = 0
    const events = (m: Awaited<ReturnType<typeof metrics>>) =>
      ['hit', 'shared_hit', 'miss', 'shared_miss', 'shared_error', 'shared_connect', 'shared_disconnect'].map(
        (e) => [e, metric(m, 'bun_infer_cache_events_total', { event: e })] as const
      )
    const diff = (a: Awaited<ReturnType<typeof metrics>>, b: Awaited<ReturnType<typeof metrics>>) =>
      events(b)
        .map(([e, v], i) => `${e} ${v - events(a)[i]![1]}`)
        .join(', ')
    const m0 = await metrics(server.url)
    const total = opts['redis-seconds'] * 1000
    const load = background(8, () => send(server.url, variants[n++ % variants.length]!, { useCache: true }))
    await Bun.sleep(total * 0.25)
    const m1 = await metrics(server.url)
    const stoppedAt = performance.now()
    await redisServer.stop()
    await Bun.sleep(total * 0.35)
    const m2 = await metrics(server.url)
    const restartedAt = performance.now()
    await redisServer.start()
    await Bun.sleep(total * 0.4)
    await load.stop()
    const m3 = await metrics(server.url)
    const phase = (from: number, to: number) => load.outcomes.filter((o) => o.sentAt >= from && o.sentAt < to)
    report(
      `Redis stopped and restarted under load (8 connections, shared cache, ${opts['redis-seconds']} s)`,
      [
        ['outcomes (whole run)', fmtTally(tally(load.outcomes))],
        ['Redis up: latency p50 / p99 / max ms · cache events', `${latencyCell(phase(0, stoppedAt))} · ${diff(m0, m1)}`],
        ['Redis down: latency p50 / p99 / max ms · cache events', `${latencyCell(phase(stoppedAt, restartedAt))} · ${diff(m1, m2)}`],
        ['Redis back: latency p50 / p99 / max ms · cache events', `${latencyCell(phase(restartedAt, Infinity))} · ${diff(m2, m3)}`]
      ],
      ['BUN_INFER_MAX_CACHE_ENTRIES=1 and 40 top_k variants of one photo: nearly every lookup misses locally and asks Redis.']
    )
    checks.push(
      ['Redis stop/start: zero failed requests', load.outcomes.every((o) => o.status === 200)],
      [
        'Redis back: shared hits again',
        metric(m3, 'bun_infer_cache_events_total', { event: 'shared_hit' }) >
          metric(m2, 'bun_infer_cache_events_total', { event: 'shared_hit' })
      ]
    )
  } finally {
    await server.stop()
    await redisServer.stop()
  }
}

const payload = await jpegPayload()
if (opts.only === 'all' || opts.only === 'crash') await crashes(payload)
if (opts.only === 'all' || opts.only === 'model') await brokenModels()
if (opts.only === 'all' || opts.only === 'redis') await redis(payload)
verdict(checks)
