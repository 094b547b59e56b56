/**
 * Issue 13's four noise-bound targets, judged on paired rounds (lib/paired.ts): per round the server's figure
 * against the figure measured next to it, then the median over rounds, so one lucky or unlucky point moves
 * the verdict no more than any other.
 */
import type { PairedResult, PairedRound, TargetCheck } from './types'

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
/** What HTTP alone adds on this machine, from a round's echo server: its p50 less the time it holds each request. */
export const httpAloneMs = (echo: NonNullable<PairedRound['echo']>) => echo.p50 - echo.holdMs
const r2 = (v: number) => Math.round(v * 100) / 100
const r1 = (v: number) => Math.round(v * 10) / 10
const list = (values: number[], digits: (v: number) => number) => values.map((v) => digits(v)).join(', ')

export const PAIRED_TARGET_NAMES = {
  saturation: 'throughput at saturation ≥ 0.9 × limit (small JPEG, multipart)',
  cpu: 'server CPU per image ≤ 1.1 × limit CPU per image',
  floor: '1-connection p50 ≤ single-image floor + 1 ms',
  naive: "1 connection: p50 ≤ naive's and req/s ≥ naive's"
} as const

export function checkPairedTargets(paired: PairedResult): TargetCheck[] {
  const { rounds } = paired
  const where = `median of ${rounds.length} paired rounds`
  const sat = rounds.map((r) => r.saturation.server.imgPerS / r.saturation.limit.imgPerS)
  const cpuRounds = rounds.filter((r) => r.saturation.server.cpuMsPerImage !== null)
  const cpu = cpuRounds.map((r) => r.saturation.server.cpuMsPerImage! / r.saturation.limit.cpuMsPerImage)
  const overFloor = rounds.map((r) => r.server.p50 - r.floor.p50)
  const echoRounds = rounds.filter((r) => r.echo !== undefined)
  const httpAlone = echoRounds.map((r) => httpAloneMs(r.echo!))
  // Context, not a verdict: the part of "p50 − floor" that any HTTP server pays on this machine.
  const httpContext =
    httpAlone.length === 0
      ? ''
      : `; HTTP alone here: ${r1(median(httpAlone))} ms (an echo server busy ${r1(echoRounds[0]!.echo!.holdMs)} ms per request, ` +
        `p50 − hold; rounds ${list(httpAlone, r1)})`
  const p50VsNaive = rounds.map((r) => r.server.p50 - r.naive.p50)
  const reqVsNaive = rounds.map((r) => r.server.reqPerS / r.naive.reqPerS)
  const cell = `${paired.saturationConnections} conn vs the limit's batch ${paired.limitCell.batchSize} × ${paired.limitCell.concurrency} loops`
  const checks: TargetCheck[] = [
    {
      name: PAIRED_TARGET_NAMES.saturation,
      pass: median(sat) >= 0.9,
      detail:
        `${where}: ${r2(median(sat))}× (${cell}; rounds ${list(sat, r2)}); medians ` +
        `${r1(median(rounds.map((r) => r.saturation.server.imgPerS)))} vs ${r1(median(rounds.map((r) => r.saturation.limit.imgPerS)))} img/s`
    },
    cpu.length === 0
      ? { name: PAIRED_TARGET_NAMES.cpu, pass: null, detail: 'not checked: needs /proc of the server' }
      : {
          name: PAIRED_TARGET_NAMES.cpu,
          pass: median(cpu) <= 1.1,
          detail:
            `${where}: ${r2(median(cpu))}× (rounds ${list(cpu, r2)}); medians ` +
            `${r1(median(cpuRounds.map((r) => r.saturation.server.cpuMsPerImage!)))} vs ${r1(median(cpuRounds.map((r) => r.saturation.limit.cpuMsPerImage)))} ms`
        },
    {
      name: PAIRED_TARGET_NAMES.floor,
      pass: median(overFloor) <= 1,
      detail:
        `${where}: p50 − floor = ${r1(median(overFloor))} ms (rounds ${list(overFloor, r1)}); medians ` +
        `${r1(median(rounds.map((r) => r.server.p50)))} vs floor ${r1(median(rounds.map((r) => r.floor.p50)))} ms${httpContext}`
    },
    {
      name: PAIRED_TARGET_NAMES.naive,
      pass: median(p50VsNaive) <= 0 && median(reqVsNaive) >= 1,
      detail:
        `${where}: p50 − naive's = ${r1(median(p50VsNaive))} ms (rounds ${list(p50VsNaive, r1)}), ` +
        `req/s ÷ naive's = ${r2(median(reqVsNaive))}× (rounds ${list(reqVsNaive, r2)}); medians ` +
        `${r1(median(rounds.map((r) => r.server.p50)))} vs ${r1(median(rounds.map((r) => r.naive.p50)))} ms`
    }
  ]
  return checks
}
