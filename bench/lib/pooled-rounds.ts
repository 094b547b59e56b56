/**
 * Issue 13's paired targets over the rounds of several full runs at once. Each figure is still a ratio (or a
 * difference) measured inside one round; pooling only gives the median more rounds, so where a target really
 * sits can be told from where one run's seven rounds happened to land.
 */
import { median, passes, roundFigures } from './paired-targets'
import type { BenchReport, PairedRound } from './types'

export interface FigureMedians {
  rounds: number
  saturation: number
  cpu: number | null
  overFloor: number
  p50VsNaive: number
  reqVsNaive: number
  httpAlone: number | null
  /** The four verdicts on these medians (cpu: null when no round had the server's CPU). */
  pass: { saturation: boolean; cpu: boolean | null; floor: boolean; naive: boolean }
}

export interface RunSummary extends FigureMedians {
  startedAt: string
  commit: string
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

/** Each run's medians, and the medians of all their rounds together; runs without paired rounds are skipped. */
export function poolRuns(reports: readonly Pick<BenchReport, 'startedAt' | 'machine' | 'paired'>[]): {
  runs: RunSummary[]
  pooled: FigureMedians
} {
  const withRounds = reports.filter((report) => (report.paired?.rounds.length ?? 0) > 0)
  if (withRounds.length === 0) throw new Error('none of these results has paired rounds')
  const runs = withRounds.map((report) => ({
    startedAt: report.startedAt,
    commit: report.machine.gitCommit + (report.machine.gitDirty ? '+' : ''),
    ...figureMedians(report.paired!.rounds)
  }))
  return { runs, pooled: figureMedians(withRounds.flatMap((report) => report.paired!.rounds)) }
}
