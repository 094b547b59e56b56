/**
 * Interleaved A/B of HTTP contenders on a noisy machine: every contender is started once, then the
 * rounds alternate between them (the order rotates each round), so a neighbour's burst lands on all of
 * them alike. Prints the median over rounds of each number, and each contender's ratio to the first.
 *
 *   bun bench/ab.ts [--rounds 3] [--duration 3] [--connections 1,64] [--payload jpeg] LABEL=SPEC ...
 *
 * SPEC is `server` (bun-infer, src/main.ts), `server:KEY=VAL,KEY=VAL` (with BUN_INFER_* settings, e.g.
 * `two=server:BUN_INFER_PROCESSES=2`: CPU and peak RSS are then summed over the supervisor's processes),
 * `server@DIR` or `server@DIR:KEY=VAL` (the bun-infer of another checkout, e.g. a worktree of main),
 * or a path to a baseline script that takes `--port 0` (e.g. bench/baselines/naive-server.ts).
 */
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { killAll, launch, type ServerProcess } from '../tools/process/launch'
import { runLoad } from './lib/load'
import { measurePoint } from './lib/measure'
import { buildPayload, type PayloadName } from './lib/payloads'
import { round } from './lib/stats'
import type { PointResult } from './lib/types'

const ROOT = resolve(import.meta.dir, '..')
const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '3' },
    connections: { type: 'string', default: '1,64' },
    payload: { type: 'string', default: 'jpeg' },
    help: { type: 'boolean', default: false }
  }
})
if (values.help) {
  // The usage is this file's header comment.
  const source = await Bun.file(import.meta.path).text()
  process.stdout.write(source.slice(source.indexOf('/**') + 4, source.indexOf('*/')).replace(/^ \*(?: |$)/gm, ''))
  process.exit(0)
}
const SERVER_ENV = { BUN_INFER_HOST: '127.0.0.1', BUN_INFER_PORT: '0', BUN_INFER_LOG_LEVEL: 'warn' }

function parseSpec(arg: string) {
  const [label, spec] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, arg]
  const server = /^server(?:@([^:]+))?(?::(.*))?$/.exec(spec!)
  if (server) {
    const [, checkout = ROOT, settings = ''] = server
    const pairs = settings
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string])
    return { label: label!, cmd: ['bun', 'src/main.ts'], cwd: resolve(checkout), env: { ...SERVER_ENV, ...Object.fromEntries(pairs) } }
  }
  return { label: label!, cmd: ['bun', spec!, '--port', '0'], cwd: ROOT, env: {} }
}

const specs = positionals.map(parseSpec)
if (specs.length === 0) throw new Error('name at least one contender, e.g. naive=bench/baselines/naive-server.ts server')
const connections = values.connections!.split(',').map(Number)
const rounds = Number(values.rounds)
const durationS = Number(values.duration)
const jpeg = await buildPayload(ROOT, 'jpeg')
const payload = values.payload === 'jpeg' ? jpeg : await buildPayload(ROOT, values.payload as PayloadName)
const started: ServerProcess[] = []
const points = new Map<string, PointResult[]>()

/** Median of the finite values (a point with no 2xx answer has NaN latencies). */
const median = (xs: number[]) => {
  const finite = xs.filter(Number.isFinite).sort((a, b) => a - b)
  return finite.length ? finite[Math.floor(finite.length / 2)]! : NaN
}
try {
  for (const spec of specs) {
    const child = await launch({ cmd: spec.cmd, env: spec.env, cwd: spec.cwd, warnIfGone: true })
    started.push(child)
    await runLoad({ url: child.url, payload: jpeg, connections: 16, durationS: 1, label: 'warm-up', quiet: true })
  }
  for (let r = 0; r < rounds; r++)
    for (let k = 0; k < specs.length; k++) {
      const i = (k + r) % specs.length
      const target = { contender: specs[i]!.label, url: started[i]!.url, pid: started[i]!.pid }
      for (const c of connections) {
        const point = await measurePoint(target, 'ab', { payload, connections: c, durationS })
        const key = `${specs[i]!.label}@${c}`
        points.set(key, [...(points.get(key) ?? []), point])
        process.stderr.write(
          `  round ${r + 1} ${key}: ${point.reqPerS} req/s, p50 ${point.latencyMs.p50} ms, p99 ${point.latencyMs.p99} ms, ${point.serverCpuMsPerImage} CPU ms/img, peak RSS ${point.serverPeakRssMb} MB\n`
        )
      }
    }
  console.log(`| contender | conn | req/s | p50 ms | p99 ms | CPU ms/img | peak RSS MB | req/s ÷ first | p50 ÷ first |`)
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- |`)
  for (const c of connections) {
    const summary = (label: string) => {
      const ps = points.get(`${label}@${c}`)!
      return {
        rps: median(ps.map((p) => p.reqPerS)),
        p50: median(ps.map((p) => p.latencyMs.p50)),
        p99: median(ps.map((p) => p.latencyMs.p99)),
        cpu: median(ps.map((p) => p.serverCpuMsPerImage ?? NaN)),
        rss: median(ps.map((p) => p.serverPeakRssMb ?? NaN))
      }
    }
    const first = summary(specs[0]!.label)
    for (const { label } of specs) {
      const s = summary(label)
      console.log(
        `| ${label} | ${c} | ${s.rps} | ${s.p50} | ${s.p99} | ${s.cpu} | ${s.rss} | ${round(s.rps / first.rps)} | ${round(s.p50 / first.p50)} |`
      )
    }
  }
} finally {
  await Promise.all(started.map((child) => child.stop()))
  killAll()
}
