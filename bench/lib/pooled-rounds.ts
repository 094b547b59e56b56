/**
 * The paired targets over the rounds of several full runs at once. Each figure is still a ratio (or a
 * difference) measured inside one round; pooling only gives the median more rounds, so where a target really
 * sits can be told from where one run's seven rounds happened to land. Judged as one run is (figureMedians).
 */
import { type FigureMedians, figureMedians } from './paired-targets'
import type { BenchReport } from './types'

export interface RunSummary extends FigureMedians {
  startedAt: string
  commit: string
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
