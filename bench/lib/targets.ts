/** The bench's targets, checked (never asserted): each says pass, miss, or why it could not be checked. */
import { censored } from './report/censored'
import { checkPairedTargets, PAIRED_TARGET_NAMES } from './paired-targets'
import type { ContenderResult, LimitResult, PairedResult, PointResult, TargetCheck } from './types'

const sweep = (c: ContenderResult | undefined) => c?.points.filter((p) => p.scenario === 'sweep') ?? []
const at = (c: ContenderResult | undefined, connections: number) => sweep(c).find((p) => p.connections === connections)
const fmt = (n: number | null | undefined, unit = '') => (n === null || n === undefined || Number.isNaN(n) ? 'n/a' : `${n}${unit}`)
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100
const skipped = (name: string, why: string): TargetCheck => ({ name, pass: null, detail: `not checked: ${why}` })

/** The server's best sweep point on the small JPEG (multipart): its saturation throughput. */
export function saturation(server: ContenderResult | undefined): PointResult | undefined {
  return sweep(server).reduce<PointResult | undefined>((best, p) => (!best || p.imgPerS > best.imgPerS ? p : best), undefined)
}

/**
 * With paired rounds, the four targets that compare the server with something measured beside it (the limit,
 * the floor, the naive baseline at 1 connection) are judged on them (lib/paired-targets.ts); without, on the
 * single sweep points, as results from before the paired rounds were.
 */
export function checkTargets(limit: LimitResult | null, contenders: ContenderResult[], paired?: PairedResult | null): TargetCheck[] {
  const checks = paired && paired.rounds.length > 0 ? checkPairedTargets(paired) : sweepTargets(limit, contenders)
  return [...checks, ...loadTargets(contenders)]
}

function sweepTargets(limit: LimitResult | null, contenders: ContenderResult[]): TargetCheck[] {
  const server = contenders.find((c) => c.name === 'server')
  const naive = contenders.find((c) => c.name === 'naive')
  const sat = saturation(server)
  const checks: TargetCheck[] = []

  let name: string = PAIRED_TARGET_NAMES.saturation
  if (!limit || !sat) checks.push(skipped(name, 'needs the limit and the server sweep'))
  else {
    const r = ratio(sat.imgPerS, limit.best.imgPerS)
    const suspect =
      r > 1.05
        ? ' — the server beat the limit, so the limit was measured under contention (see load average); rerun on a quiet machine'
        : ''
    checks.push({
      name,
      pass: r >= 0.9,
      detail: `${sat.imgPerS} img/s at ${sat.connections} conn vs limit ${limit.best.imgPerS} img/s → ${r}×${suspect}`
    })
  }

  name = PAIRED_TARGET_NAMES.cpu
  if (!limit || !sat || sat.serverCpuMsPerImage === null) checks.push(skipped(name, 'needs the limit and /proc of the server'))
  else {
    const r = ratio(sat.serverCpuMsPerImage, limit.best.cpuMsPerImage)
    checks.push({ name, pass: r <= 1.1, detail: `${sat.serverCpuMsPerImage} ms vs limit ${limit.best.cpuMsPerImage} ms → ${r}×` })
  }

  // The floor is the best single image over thread settings; a result without one (older JSON) is judged as it was
  // before the floor existed: against the limit's 1 × 1 cell + 1.5 ms.
  const one = at(server, 1)
  const floor = limit?.floor?.best
  name = floor ? PAIRED_TARGET_NAMES.floor : '1-connection p50 ≤ limit single-image latency + 1.5 ms'
  if (!limit || !one) checks.push(skipped(name, 'needs the limit and a 1-connection sweep point'))
  else {
    const [base, slack] = floor ? [floor.latencyMs.p50, 1] : [limit.single.latencyMs.p50, 1.5]
    const budget = Math.round((base + slack) * 1000) / 1000
    const where = floor ? ` (floor: 1 worker × ${floor.intraOpThreads} intra-op threads, spinning ${floor.spinning ? 'on' : 'off'})` : ''
    checks.push({
      name,
      pass: one.latencyMs.p50 <= budget,
      detail: `p50 ${one.latencyMs.p50} ms vs ${base} + ${slack} = ${budget} ms${where}`
    })
  }

  name = PAIRED_TARGET_NAMES.naive
  const naiveOne = at(naive, 1)
  if (!one || !naiveOne) checks.push(skipped(name, 'needs server and naive sweeps at 1 connection'))
  else
    checks.push({
      name,
      pass: one.latencyMs.p50 <= naiveOne.latencyMs.p50 && one.reqPerS >= naiveOne.reqPerS,
      detail: `p50 ${one.latencyMs.p50} vs ${naiveOne.latencyMs.p50} ms, ${one.reqPerS} vs ${naiveOne.reqPerS} req/s`
    })
  return checks
}

/** The targets under load, from the sweep. */
function loadTargets(contenders: ContenderResult[]): TargetCheck[] {
  const server = contenders.find((c) => c.name === 'server')
  const naive = contenders.find((c) => c.name === 'naive')
  const checks: TargetCheck[] = []
  let name = '64 connections: p99 ≤ 2 × p50, zero errors'
  const p64 = at(server, 64)
  if (!p64) checks.push(skipped(name, 'no 64-connection sweep point'))
  else {
    const failures = p64.errors + p64.non2xx + p64.timeouts
    checks.push({
      name,
      pass: p64.latencyMs.p99 <= 2 * p64.latencyMs.p50 && failures === 0,
      detail: `p50 ${p64.latencyMs.p50} ms, p99 ${p64.latencyMs.p99} ms (${ratio(p64.latencyMs.p99, p64.latencyMs.p50)}×), errors ${p64.errors}, non-2xx ${p64.non2xx}, timeouts ${p64.timeouts}`
    })
  }

  name = 'above the naive baseline on throughput and p99 at every concurrency ≥ 4'
  const pairs = sweep(server)
    .filter((p) => p.connections >= 4)
    .map((p) => [p, at(naive, p.connections)] as const)
    .filter((pair): pair is readonly [PointResult, PointResult] => pair[1] !== undefined)
  if (pairs.length === 0) checks.push(skipped(name, 'needs server and naive sweeps at ≥ 4 connections'))
  else {
    const misses = pairs.filter(([s, n]) => !(s.imgPerS > n.imgPerS && s.latencyMs.p99 < n.latencyMs.p99))
    const mark = (p: PointResult) => (censored(p, p.latencyMs.p99) ? ' (censored by the point length)' : '')
    const detail = pairs
      .map(
        ([s, n]) =>
          `${s.connections} conn: ${s.imgPerS} vs ${n.imgPerS} img/s, p99 ${fmt(s.latencyMs.p99)} vs ${fmt(n.latencyMs.p99)} ms${mark(s) || mark(n)}`
      )
      .join('; ')
    checks.push({ name, pass: misses.length === 0, detail })
  }
  return checks
}
