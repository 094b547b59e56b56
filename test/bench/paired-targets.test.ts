import { describe, expect, test } from 'bun:test'
import { checkPairedTargets, median, PAIRED_TARGET_NAMES } from '../../bench/lib/paired-targets'
import { checkTargets } from '../../bench/lib/targets'
import type { PairedResult, PairedRound } from '../../bench/lib/types'

const round = (over: {
  server?: number
  naive?: number
  floor?: number
  reqRatio?: number
  sat?: number
  cpu?: number | null
}): PairedRound => ({
  server: { p50: over.server ?? 12, reqPerS: 80 * (over.reqRatio ?? 1) },
  naive: { p50: over.naive ?? 12.5, reqPerS: 80 },
  floor: { p50: over.floor ?? 11.5, intraOpThreads: 2, spinning: false },
  saturation: {
    server: { imgPerS: 150 * (over.sat ?? 1), cpuMsPerImage: over.cpu === null ? null : 13 * (over.cpu ?? 1) },
    limit: { imgPerS: 150, cpuMsPerImage: 13 }
  }
})
const paired = (rounds: PairedRound[]): PairedResult => ({
  durationS: 5,
  saturationConnections: 16,
  limitCell: { batchSize: 8, concurrency: 16 },
  rounds
})
const verdict = (checks: { name: string; pass: boolean | null }[], name: string) => checks.find((c) => c.name === name)?.pass

describe('paired targets', () => {
  test('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })

  test('each target is judged on the median round, so one outlier round moves nothing', () => {
    const checks = checkPairedTargets(
      paired([round({ sat: 0.95, cpu: 1.05 }), round({ sat: 0.5, cpu: 2, server: 30 }), round({ sat: 0.93, cpu: 1.02 })])
    )
    expect(verdict(checks, PAIRED_TARGET_NAMES.saturation)).toBe(true)
    expect(verdict(checks, PAIRED_TARGET_NAMES.cpu)).toBe(true)
    expect(verdict(checks, PAIRED_TARGET_NAMES.floor)).toBe(true)
    expect(verdict(checks, PAIRED_TARGET_NAMES.naive)).toBe(true)
  })

  test('a median round on the wrong side of a target fails it', () => {
    const checks = checkPairedTargets(
      paired([round({ sat: 0.85, cpu: 1.2, server: 13, reqRatio: 0.97 }), round({ sat: 0.88, cpu: 1.15, server: 12.6 })])
    )
    expect(verdict(checks, PAIRED_TARGET_NAMES.saturation)).toBe(false)
    expect(verdict(checks, PAIRED_TARGET_NAMES.cpu)).toBe(false)
    // 13 − 11.5 and 12.6 − 11.5: a median of 1.3 ms over the floor.
    expect(verdict(checks, PAIRED_TARGET_NAMES.floor)).toBe(false)
    // p50 above naive's in the median round.
    expect(verdict(checks, PAIRED_TARGET_NAMES.naive)).toBe(false)
  })

  test('slower than naive on req/s alone fails the 1-connection comparison', () => {
    const checks = checkPairedTargets(paired([round({ reqRatio: 0.98 }), round({ reqRatio: 0.99 }), round({ reqRatio: 1.01 })]))
    expect(verdict(checks, PAIRED_TARGET_NAMES.naive)).toBe(false)
  })

  test('without the server CPU the CPU target is not checked', () => {
    const checks = checkPairedTargets(paired([round({ cpu: null })]))
    expect(verdict(checks, PAIRED_TARGET_NAMES.cpu)).toBeNull()
  })

  test("the echo server's round trip is reported beside the floor target and never judged", () => {
    const echoed = (server: number, echo: number) => ({ ...round({ server }), echo: { holdMs: 11.5, p50: echo } })
    const [withEcho] = checkPairedTargets(paired([echoed(13, 12.1), echoed(13.1, 12.3), echoed(12.9, 12.0)])).filter(
      (c) => c.name === PAIRED_TARGET_NAMES.floor
    )
    // p50 − floor 1.5 ms misses whatever HTTP alone costs; the detail carries its median (12.1 − 11.5) and rounds.
    expect(withEcho!.pass).toBe(false)
    expect(withEcho!.detail).toContain(
      'HTTP alone here: 0.6 ms (an echo server busy 11.5 ms per request, p50 − hold; rounds 0.6, 0.8, 0.5)'
    )
    const [without] = checkPairedTargets(paired([round({ server: 13 })])).filter((c) => c.name === PAIRED_TARGET_NAMES.floor)
    expect(without!.detail).not.toContain('HTTP alone')
  })

  test('checkTargets uses the paired rounds when there are any, the sweep otherwise', () => {
    const withRounds = checkTargets(null, [], paired([round({})]))
    expect(verdict(withRounds, PAIRED_TARGET_NAMES.saturation)).toBe(true)
    const without = checkTargets(null, [], paired([]))
    expect(verdict(without, PAIRED_TARGET_NAMES.saturation)).toBeNull()
  })
})
