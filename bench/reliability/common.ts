/**
 * Shared pieces of the reliability scripts: start the server as a child on 127.0.0.1:0, send one
 * predict request and classify its outcome, a bounded fixed-rate (open-loop) sender, a closed-loop
 * capacity probe, RSS sampling from /proc, and the Markdown table every script prints.
 */
import { cpus } from 'node:os'
import { loadAverages } from '../lib/machine'
import { parseArgs } from 'node:util'
import { launch, ROOT, SERVER_CMD, type ServerProcess } from '../../tools/process/launch'
import { rssBytes } from '../../tools/process/procfs'
import { buildPayload, type Payload } from '../lib/payloads'
import { parsePrometheus, type Sample } from '../lib/promtext'
import { round, summarise } from '../lib/stats'

export { ROOT, SERVER_CMD }

/** Starts bun-infer with `env` on an ephemeral port; logs at warn so a flood does not cost a JSON line each. */
export function startServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  return launch({ env: { BUN_INFER_LOG_LEVEL: 'warn', ...env }, warnIfGone: true })
}

/** The small multipart JPEG (chelsea.jpg, 34 KB) every script sends unless it says otherwise. */
export const jpegPayload = (): Promise<Payload> => buildPayload(ROOT, 'jpeg')

export interface Outcome {
  /** HTTP status, or 0 when no response came (see `error`). */
  status: number
  /** `error.code` of a JSON error body. */
  code?: string
  /** Client-side time from send to the end of the body, ms. */
  ms: number
  /** performance.now() when it was sent. */
  sentAt: number
  /** Transport failure: ECONNREFUSED, ECONNRESET, TimeoutError… */
  error?: string
}

export interface SendOptions {
  headers?: Record<string, string>
  /** Client gives up after this long (ms); default 60 s. */
  timeoutMs?: number
  signal?: AbortSignal
  path?: string
  /** Let the result cache answer (default: `Cache-Control: no-store`, so the request measures inference). */
  useCache?: boolean
}

const bodies = new WeakMap<Payload, Uint8Array<ArrayBuffer>>()
/** The payload's bytes in an ArrayBuffer of their own (what fetch's BodyInit accepts), copied once. */
function bodyOf(payload: Payload): Uint8Array<ArrayBuffer> {
  let body = bodies.get(payload)
  if (!body) bodies.set(payload, (body = new Uint8Array(payload.body)))
  return body
}

/** Sends one predict request (`Cache-Control: no-store`, so it measures inference) and never throws. */
export async function send(url: string, payload: Payload, options: SendOptions = {}): Promise<Outcome> {
  const sentAt = performance.now()
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 60_000)
  try {
    const response = await fetch(`${url}${options.path ?? '/v1/predict'}`, {
      method: 'POST',
      headers: { 'content-type': payload.contentType, ...(options.useCache ? {} : { 'cache-control': 'no-store' }), ...options.headers },
      body: bodyOf(payload),
      signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
    })
    const text = await response.text()
    let code: string | undefined
    if (response.status >= 400) {
      try {
        code = (JSON.parse(text) as { error?: { code?: string } }).error?.code
      } catch {
        code = 'non-json'
      }
    }
    return { status: response.status, code, ms: performance.now() - sentAt, sentAt }
  } catch (error) {
    // DOMException (TimeoutError, AbortError) has a numeric legacy code: use its name.
    const e = error as { code?: unknown; name?: string; message?: string }
    return { status: 0, ms: performance.now() - sentAt, sentAt, error: typeof e.code === 'string' ? e.code : (e.name ?? String(e.message)) }
  }
}

export interface OpenLoopSpec {
  /** Requests per second, each phase in turn. */
  phases: { rate: number; durationS: number; label: string }[]
  /** Requests allowed in flight at once; beyond it a due request is counted as `clientSkipped`, never queued client-side. */
  maxInFlight: number
  send: () => Promise<Outcome>
}

export interface OpenLoopResult {
  outcomes: (Outcome & { phase: string })[]
  clientSkipped: number
  /** performance.now() at the start of each phase. */
  phaseStarts: number[]
  endedAt: number
}

/**
 * A true open loop: request i of a phase is due at start + i / rate, whatever came back before. A 5 ms
 * tick sends every request that is due (so timer jitter delays, never drops, them). Bounded by the phase
 * durations and `maxInFlight`; it resolves when every sent request has settled.
 */
export async function openLoop(spec: OpenLoopSpec): Promise<OpenLoopResult> {
  const outcomes: OpenLoopResult['outcomes'] = []
  const pending = new Set<Promise<void>>()
  const phaseStarts: number[] = []
  let clientSkipped = 0
  for (const phase of spec.phases) {
    const start = performance.now()
    phaseStarts.push(start)
    const total = Math.round(phase.rate * phase.durationS)
    let sent = 0
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * phase.rate) + 1)
      for (; sent < due; sent++) {
        if (pending.size >= spec.maxInFlight) {
          clientSkipped++
          continue
        }
        const p: Promise<void> = spec.send().then((o) => {
          outcomes.push({ ...o, phase: phase.label })
          pending.delete(p)
        })
        pending.add(p)
      }
      await Bun.sleep(5)
    }
    // Sleep out the rest of the phase's last interval so the next phase starts on time.
    const left = start + phase.durationS * 1000 - performance.now()
    if (left > 0) await Bun.sleep(left)
  }
  const endedAt = performance.now()
  await Promise.all(pending)
  return { outcomes, clientSkipped, phaseStarts, endedAt }
}

/** Closed loop: `connections` loops each send back to back for `durationS`; returns 200s per second. */
export async function closedLoop(
  connections: number,
  durationS: number,
  sendOne: () => Promise<Outcome>
): Promise<{ rps: number; outcomes: Outcome[] }> {
  const outcomes: Outcome[] = []
  const until = performance.now() + durationS * 1000
  const started = performance.now()
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) outcomes.push(await sendOne())
    })
  )
  const ok = outcomes.filter((o) => o.status === 200).length
  return { rps: ok / ((performance.now() - started) / 1000), outcomes }
}

/** Measured capacity: 200s per second at 16 connections after a 2 s warm-up (same client, same cores). */
export async function measureCapacity(url: string, payload: Payload, seconds = 5): Promise<number> {
  await closedLoop(16, 2, () => send(url, payload))
  return (await closedLoop(16, seconds, () => send(url, payload))).rps
}

/** Current resident set size of `pid` (VmRSS), MB; NaN once it is gone. */
export function rssMb(pid: number): number {
  const bytes = rssBytes(pid)
  return bytes === null ? NaN : bytes / 1024 / 1024
}

/** Samples RSS every `everyMs` until stopped. */
export function sampleRss(pid: number, everyMs: number): { samples: { at: number; mb: number }[]; stop(): void } {
  const samples: { at: number; mb: number }[] = []
  const timer = setInterval(() => samples.push({ at: performance.now(), mb: rssMb(pid) }), everyMs)
  return { samples, stop: () => clearInterval(timer) }
}

/** /metrics as samples (throws if the server does not answer: every script needs it). */
export async function metrics(url: string): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })
  return parsePrometheus(await response.text())
}

/** Sum of the samples named `name` whose labels include `where`. */
export function metric(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  let sum = 0
  for (const s of samples) if (s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)) sum += s.value
  return sum
}

/** Counts outcomes by "status code" (or "error name"), e.g. { "200": 950, "429 queue_full": 40, "ECONNRESET": 1 }. */
export function tally(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const o of outcomes) {
    const key = o.status === 0 ? `${o.error}` : o.code ? `${o.status} ${o.code}` : String(o.status)
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

export const fmtTally = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ') || '–'

/** p50 / p99 / max of the outcomes' client latencies, as "p50 / p99 / max ms". */
export function latencyCell(outcomes: Outcome[]): string {
  if (outcomes.length === 0) return '–'
  const s = summarise(outcomes.map((o) => o.ms))
  return `${round(s.p50)} / ${round(s.p99)} / ${round(s.max)}`
}

/** Prints a figures table, the exact command and the date: what docs/RELIABILITY.md quotes. */
export function report(title: string, rows: [string, string | number][], notes: string[] = []): void {
  const command = `bun ${process.argv
    .slice(1)
    .map((a) => a.replace(ROOT + '/', ''))
    .join(' ')}`
  const lines = [
    `### ${title}`,
    '',
    `\`${command}\` · ${new Date().toISOString()} · ${cpus().length} cores, load average ${loadAverages().join(' ')}`,
    '',
    '| figure | value |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    ...(notes.length ? ['', ...notes.map((n) => `- ${n}`)] : []),
    ''
  ]
  console.log(lines.join('\n'))
}

/**
 * `--name value` flags typed by their defaults (numbers, strings, booleans), parsed by node:util's
 * parseArgs like every other script here; an unknown flag or a non-number where a number goes throws.
 */
export function flags<T extends Record<string, number | string | boolean>>(defaults: T): T {
  const options = Object.fromEntries(
    Object.entries(defaults).map(([name, d]) => [name, { type: typeof d === 'boolean' ? ('boolean' as const) : ('string' as const) }])
  )
  const { values } = parseArgs({ args: process.argv.slice(2), options, strict: true })
  const out: Record<string, number | string | boolean> = { ...defaults }
  for (const [name, value] of Object.entries(values)) {
    const number = Number(value)
    if (typeof defaults[name] === 'number' && !Number.isFinite(number))
      throw new Error(`--${name} must be a number, got ${JSON.stringify(value)}`)
    out[name] = typeof defaults[name] === 'number' ? number : value!
  }
  return out as T
}

/** Exits with 1 (after the table is printed) when a check failed, so run-all and CI logs show it. */
export function verdict(checks: [string, boolean][]): void {
  for (const [what, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`)
  if (checks.some(([, ok]) => !ok)) process.exitCode = 1
}

/**
 * Bun's fetch sends at most BUN_CONFIG_MAX_HTTP_REQUESTS (default 256) requests at once and queues the
 * rest in the client, which would hide server latency under overload. It is read at startup, so the
 * script re-runs itself with a higher value once; returns true in the parent, which should just exit.
 */
export async function ensureFetchConcurrency(n: number): Promise<boolean> {
  if (process.env.BUN_CONFIG_MAX_HTTP_REQUESTS) return false
  const child = Bun.spawn([process.execPath, ...process.argv.slice(1)], {
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: String(n) },
    stdio: ['inherit', 'inherit', 'inherit']
  })
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal)
  process.on('SIGINT', forward('SIGINT'))
  process.on('SIGTERM', forward('SIGTERM'))
  process.exitCode = await child.exited
  return true
}
