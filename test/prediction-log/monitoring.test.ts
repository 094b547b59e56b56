import { describe, expect, test } from 'bun:test'
import { parseWindow, quantile, summarise } from '../../src/prediction-log/monitoring'
import type { StoredPrediction } from '../../src/prediction-log/store'

const p = (label: string, classIndex: number, score: number | null, totalMs: number): StoredPrediction => ({
  timeMs: 0,
  requestId: 'r',
  label,
  classIndex,
  score,
  totalMs
})

describe('the per-label summary', () => {
  test('counts, shares, confidence and latency quantiles, and the low-confidence rate; most frequent first', () => {
    const rows = [
      p('tabby cat', 281, 0.9, 10),
      p('Egyptian Mau', 285, 0.7, 12),
      p('Egyptian Mau', 285, 0.3, 14),
      p('Egyptian Mau', 285, 0.8, 40),
      p('tabby cat', 281, 0.45, 20)
    ]
    const summary = summarise(rows, 0.5)
    expect(summary.total).toBe(5)
    expect(summary.labels.map((l) => [l.label, l.count, l.share])).toEqual([
      ['Egyptian Mau', 3, 0.6],
      ['tabby cat', 2, 0.4]
    ])
    const mau = summary.labels[0]!
    expect(mau.confidence).toEqual({ mean: 0.6, p50: 0.7, p95: 0.8 })
    expect(mau.latency_ms).toEqual({ p50: 14, p95: 40 })
    expect(mau.low_confidence_rate).toBe(0.3333)
    expect(summary.labels[1]!.low_confidence_rate).toBe(0.5)
  })

  test('a label logged without probabilities has no confidence and no low-confidence rate', () => {
    const [only] = summarise([p('lynx', 287, null, 5)], 0.5).labels
    expect(only!.confidence).toBeNull()
    expect(only!.low_confidence_rate).toBeNull()
  })

  test('no predictions: an empty summary', () => {
    expect(summarise([], 0.5)).toEqual({ total: 0, low_confidence_threshold: 0.5, labels: [] })
  })

  test('quantiles by nearest rank', () => {
    expect([quantile([1, 2, 3, 4], 0.5), quantile([1, 2, 3, 4], 0.95), quantile([7], 0.5)]).toEqual([2, 4, 7])
    expect(() => quantile([], 0.5)).toThrow()
  })
})

describe('windows', () => {
  const cases: [string, number | undefined][] = [
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['0h', undefined],
    ['1w', undefined],
    ['h', undefined],
    ['1.5h', undefined],
    ['-1h', undefined]
  ]
  for (const [text, ms] of cases) test(`"${text}"`, () => expect(parseWindow(text)).toBe(ms))
})
