import { describe, expect, test } from 'bun:test'
import { figureMedians } from '../../bench/lib/paired-targets'
import { poolRuns } from '../../bench/lib/pooled-rounds'
import type { BenchReport, PairedRound } from '../../bench/lib/types'

const round = (over: { sat?: number; cpu?: number | null; overFloor?: number; overNaive?: number; reqRatio?: number; echo?: number }) =>
  ({
    server: { p50: 12 + (over.overNaive ?? 0), reqPerS: 80 * (over.reqRatio ?? 1) },
    naive: { p50: 12, reqPerS: 80 },
    floor: { p50: 12 + (over.overNaive ?? 0) - (over.overFloor ?? 0.5), intraOpThreads: 2, spinning: true },
    ...(over.echo === undefined ? {} : { echo: { holdMs: 11, p50: 11 + over.echo } }),
    saturation: {
      server: { imgPerS: 150 * (over.sat ?? 1), cpuMsPerImage: over.cpu === null ? null : 13 * (over.cpu ?? 1) },
      limit: { imgPerS: 150, cpuMsPerImage: 13 }
    }
  }) satisfies PairedRound

const report = (commit: string, rounds: PairedRound[] | null): Pick<BenchReport, 'startedAt' | 'machine' | 'paired'> => ({
  startedAt: `2026-11-26T10:00:00.000Z`,
  machine: { gitCommit: commit, gitDirty: false } as BenchReport['machine'],
  paired: rounds && { durationS: 5, saturationConnections: 16, limitCell: { batchSize: 16, concurrency: 32 }, rounds }
})

describe('paired rounds pooled over runs', () => {
  test('medians of each figure, judged against the same bars as one run', () => {
    const m = figureMedians([
      round({ sat: 0.95, cpu: 1.05, overFloor: 0.8, overNaive: -0.2, reqRatio: 1.02, echo: 0.6 }),
      round({ sat: 0.85, cpu: 1.2, overFloor: 1.4, overNaive: 0.3, reqRatio: 0.97 }),
      round({ sat: 0.92, cpu: 1.08, overFloor: 0.9, overNaive: -0.1, reqRatio: 1.01, echo: 0.8 })
    ])
    expect(m.rounds).toBe(3)
    expect(m.saturation).toBeCloseTo(0.92)
    expect(m.cpu).toBeCloseTo(1.08)
    expect(m.overFloor).toBeCloseTo(0.9)
    expect(m.p50VsNaive).toBeCloseTo(-0.1)
    expect(m.reqVsNaive).toBeCloseTo(1.01)
    expect(m.httpAlone).toBeCloseTo(0.7) // the rounds without an echo count for nothing
    expect(m.pass).toEqual({ saturation: true, cpu: true, floor: true, naive: true })
  })

  test('a run that misses on its seven rounds can sit on the passing side once pooled, and the reverse', () => {
    const lucky = Array.from({ length: 3 }, () => round({ sat: 0.95 }))
    const unlucky = Array.from({ length: 4 }, () => round({ sat: 0.85 }))
    const { runs, pooled } = poolRuns([report('aaa', lucky), report('bbb', unlucky), report('ccc', unlucky)])
    expect(runs.map((r) => [r.commit, r.pass.saturation])).toEqual([
      ['aaa', true],
      ['bbb', false],
      ['ccc', false]
    ])
    expect(pooled.rounds).toBe(11)
    expect(pooled.pass.saturation).toBe(false)
  })

  test('runs without paired rounds are skipped; none at all is an error, not an empty verdict', () => {
    const { runs } = poolRuns([report('old', null), report('new', [round({ cpu: null })])])
    expect(runs.map((r) => r.commit)).toEqual(['new'])
    expect(runs[0]!.cpu).toBeNull()
    expect(runs[0]!.pass.cpu).toBeNull()
    expect(() => poolRuns([report('old', null)])).toThrow('none of these results has paired rounds')
  })
})
