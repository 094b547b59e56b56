/**
 * The four noise-bound targets, judged on paired rounds (lib/paired.ts): per round the server's figure
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

/** One round's figures, each the server's against what was measured next to it in the same round. */
export function roundFigures(r: PairedRound) {
  return {
    saturation: r.saturation.server.imgPerS / r.saturation.limit.imgPerS,
    cpu: r.saturation.server.cpuMsPerImage === null ? null : r.saturation.server.cpuMsPerImage / r.saturation.limit.cpuMsPerImage,
    overFloor: r.server.p50 - r.floor.p50,
    p50VsNaive: r.server.p50 - r.naive.p50,
    reqVsNaive: r.server.reqPerS / r.naive.reqPerS,
    httpAlone: r.echo === undefined ? null : httpAloneMs(r.echo)
  }
}

/** The bars of the four targets, on the medians of roundFigures over rounds. */
const passes = {
  saturation: (ratio: number) => ratio >= 0.9,
  cpu: (ratio: number) => ratio <= 1.1,
  floor: (overMs: number) => overMs <= 1,
  naive: (p50VsNaiveMs: number, reqVsNaive: number) => p50VsNaiveMs <= 0 && reqVsNaive >= 1
}

/** The medians over rounds of each round's figures, and the four verdicts on them: what a run (or pooled runs) is judged on. */
export interface FigureMedians {
  rounds: number
  saturation: number
  cpu: number | null
  overFloor: number
  p50VsNaive: number
  reqVsNaive: number
  httpAlone: number | null
  /** cpu: null when no round had the server's CPU. */
  pass: { saturation: boolean; cpu: boolean | null; floor: boolean; naive: boolean }
}

const medianOrNull = (values: (number | null)[]): number | null => {
  const present = values.filter((v): v is number => v !== null)
  return present.length === 0 ? null : median(present)
}

export function figureMedians(rounds: readonly PairedRound[]): FigureMedians {
  if (rounds.length === 0) throw new Error('no paired rounds to judge')
  const figures = rounds.map(roundFigures)
  const of = <K extends keyof (typeof figures)[number]>(key: K) => figures.map((f) => f[key])
  const saturation = median(of('saturation'))
  const cpu = medianOrNull(of('cpu'))
  const overFloor = median(of('overFloor'))
  const p50VsNaive = median(of('p50VsNaive'))
  const reqVsNaive = median(of('reqVsNaive'))
  return {
    rounds: rounds.length,
    saturation,
    cpu,
    overFloor,
    p50VsNaive,
    reqVsNaive,
    httpAlone: medianOrNull(of('httpAlone')),
    pass: {
      saturation: passes.saturation(saturation),
      cpu: cpu === null ? null : passes.cpu(cpu),
      floor: passes.floor(overFloor),
      naive: passes.naive(p50VsNaive, reqVsNaive)
    }
  }
}

export function checkPairedTargets(paired: PairedResult): TargetCheck[] {
  const { rounds } = paired
  const where = `median of ${rounds.length} paired rounds`
  const m = figureMedians(rounds)
  const figures = rounds.map(roundFigures)
  const sat = figures.map((f) => f.saturation)
  const cpuRounds = rounds.filter((r) => r.saturation.server.cpuMsPerImage !== null)
  const cpu = figures.flatMap((f) => (f.cpu === null ? [] : [f.cpu]))
  const overFloor = figures.map((f) => f.overFloor)
  const echoRounds = rounds.filter((r) => r.echo !== undefined)
  const httpAlone = figures.flatMap((f) => (f.httpAlone === null ? [] : [f.httpAlone]))
  // Context, not a verdict: the part of "p50 − floor" that any HTTP server pays on this machine.
  const httpContext =
    m.httpAlone === null
      ? ''
      : `; HTTP alone here: ${r1(m.httpAlone)} ms (an echo server busy ${r1(echoRounds[0]!.echo!.holdMs)} ms per request, ` +
        `p50 − hold; rounds ${list(httpAlone, r1)})`
  const p50VsNaive = figures.map((f) => f.p50VsNaive)
  const reqVsNaive = figures.map((f) => f.reqVsNaive)
  const cell = `${paired.saturationConnections} conn vs the limit's batch ${paired.limitCell.batchSize} × ${paired.limitCell.concurrency} loops`
  const checks: TargetCheck[] = [
    {
      name: PAIRED_TARGET_NAMES.saturation,
      pass: m.pass.saturation,
      detail:
        `${where}: ${r2(m.saturation)}× (${cell}; rounds ${list(sat, r2)}); medians ` +
        `${r1(median(rounds.map((r) => r.saturation.server.imgPerS)))} vs ${r1(median(rounds.map((r) => r.saturation.limit.imgPerS)))} img/s`
    },
    m.cpu === null
      ? { name: PAIRED_TARGET_NAMES.cpu, pass: null, detail: 'not checked: needs /proc of the server' }
      : {
          name: PAIRED_TARGET_NAMES.cpu,
          pass: m.pass.cpu,
          detail:
            `${where}: ${r2(m.cpu)}× (rounds ${list(cpu, r2)}); medians ` +
            `${r1(median(cpuRounds.map((r) => r.saturation.server.cpuMsPerImage!)))} vs ${r1(median(cpuRounds.map((r) => r.saturation.limit.cpuMsPerImage)))} ms`
        },
    {
      name: PAIRED_TARGET_NAMES.floor,
      pass: m.pass.floor,
      detail:
        `${where}: p50 − floor = ${r1(m.overFloor)} ms (rounds ${list(overFloor, r1)}); medians ` +
        `${r1(median(rounds.map((r) => r.server.p50)))} vs floor ${r1(median(rounds.map((r) => r.floor.p50)))} ms${httpContext}`
    },
    {
      name: PAIRED_TARGET_NAMES.naive,
      pass: m.pass.naive,
      detail:
        `${where}: p50 − naive's = ${r1(m.p50VsNaive)} ms (rounds ${list(p50VsNaive, r1)}), ` +
        `req/s ÷ naive's = ${r2(m.reqVsNaive)}× (rounds ${list(reqVsNaive, r2)}); medians ` +
        `${r1(median(rounds.map((r) => r.server.p50)))} vs ${r1(median(rounds.map((r) => r.naive.p50)))} ms`
    }
  ]
  return checks
}
