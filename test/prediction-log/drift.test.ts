import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMetrics } from '../../src/metrics/registry'
import { confidenceDistribution, drift, jensenShannon, labelDistribution, psi } from '../../src/prediction-log/drift'
import { DriftMonitor } from '../../src/prediction-log/drift-monitor'
import { SqliteStore } from '../../src/prediction-log/sqlite-store'
import type { StoredPrediction } from '../../src/prediction-log/store'
import { record } from '../helpers/prediction-record'

const LABELS = ['tabby cat', 'espresso', 'missile', 'obelisk', 'Egyptian Mau'] as const
const p = (classIndex: number, score: number | null = 0.8): StoredPrediction => ({
  timeMs: 0,
  requestId: 'r',
  label: LABELS[classIndex] ?? String(classIndex),
  classIndex,
  score,
  totalMs: 10
})
/** `n` predictions cycling through `classes` (a stable mix). */
const mix = (n: number, classes: number[], score = 0.8) => Array.from({ length: n }, (_, i) => p(classes[i % classes.length]!, score))

/** The alert's threshold, read from the shipped rule, so the test and the rule cannot drift apart. */
const rules = Bun.YAML.parse(await Bun.file(join(import.meta.dir, '../../deploy/prometheus/alerts.yml')).text()) as {
  groups: Array<{ rules: Array<{ alert?: string; expr: string }> }>
}
const driftRule = rules.groups[0]!.rules.find((r) => r.alert === 'BunInferPredictionDrift')!
const THRESHOLD = Number(/>\s*([0-9.]+)\s*$/.exec(driftRule.expr.trim())![1])

describe('divergences', () => {
  test('the same distribution is 0; two with nothing in common are 1 bit apart (JS) and far apart (PSI)', () => {
    const a = new Map([
      [1, 0.5],
      [2, 0.5]
    ])
    const b = new Map([
      [3, 0.5],
      [4, 0.5]
    ])
    expect(jensenShannon(a, a)).toBe(0)
    expect(psi(a, a)).toBe(0)
    expect(jensenShannon(a, b)).toBeCloseTo(1, 10)
    expect(psi(a, b)).toBeGreaterThan(5)
  })

  test('a known case by hand: (0.5, 0.5) against (0.9, 0.1)', () => {
    const r = new Map([
      [0, 0.5],
      [1, 0.5]
    ])
    const w = new Map([
      [0, 0.9],
      [1, 0.1]
    ])
    // PSI = 0.4 ln 1.8 + (-0.4) ln 0.2; JS = H(0.7, 0.3) - (H(0.5, 0.5) + H(0.9, 0.1)) / 2, in bits.
    expect(psi(r, w)).toBeCloseTo(0.4 * Math.log(1.8) - 0.4 * Math.log(0.2), 10)
    const h = (...ps: number[]) => -ps.reduce((sum, x) => sum + x * Math.log2(x), 0)
    expect(jensenShannon(r, w)).toBeCloseTo(h(0.7, 0.3) - (h(0.5, 0.5) + h(0.9, 0.1)) / 2, 10)
  })

  test('distributions: label shares, and confidence in ten bins leaving out unknown scores', () => {
    expect([...labelDistribution([p(1), p(1), p(2), p(3)])]).toEqual([
      [1, 0.5],
      [2, 0.25],
      [3, 0.25]
    ])
    expect([...confidenceDistribution([p(1, 0.05), p(1, 0.95), p(1, 1), p(1, null)])]).toEqual([
      [0, 1 / 3],
      [9, 2 / 3]
    ])
  })
})

describe(`drift against the alert's threshold (label JS > ${THRESHOLD})`, () => {
  const reference = mix(1000, [0, 1, 2, 3])

  test('a random sample of the reference mix stays silent', () => {
    let seed = 42 // a fixed sequence: the sample is random-looking, the test repeatable
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    const sample = Array.from({ length: 200 }, () => p(Math.floor(next() * 4)))
    expect(new Set(labelDistribution(sample).values()).size).toBeGreaterThan(1) // not an exact copy of the shares
    const result = drift(reference, sample)
    expect(result.labels.js).toBeLessThan(THRESHOLD)
    expect(result.labels.psi).toBeLessThan(0.1)
    expect(result.confidence).toEqual({ psi: 0, js: 0 })
  })

  test('only cats after a mixed reference fires, and names the cat as the label that moved most', () => {
    const result = drift(reference, mix(200, [0]))
    expect(result.labels.js).toBeGreaterThan(THRESHOLD)
    expect(result.labels.psi).toBeGreaterThan(0.25)
    expect(result.top_shifts[0]).toEqual({ label: 'tabby cat', class_index: 0, reference_share: 0.25, window_share: 1 })
  })

  test('the same labels with falling confidence shows in the confidence distribution only', () => {
    const result = drift(reference, mix(200, [0, 1, 2, 3], 0.35))
    expect(result.labels.js).toBe(0)
    expect(result.confidence!.js).toBeGreaterThan(THRESHOLD)
  })
})

describe('the drift monitor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drift-monitor-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('no gauge until the reference is complete and the window full; then one per version, gone when unloaded', async () => {
    const store = new SqliteStore(join(dir, 'log.sqlite'))
    let served = [{ model: 'mobilenetv2', version: '1' }]
    const monitor = new DriftMonitor(store, () => served, { referencePredictions: 8, windowMs: 3_600_000, minWindowPredictions: 12 })
    const metrics = createMetrics({ drift: () => monitor.current() })
    const gauge = async () =>
      (await metrics.registry.metrics())
        .split('\n')
        .filter((l) => l.startsWith('bun_infer_prediction_drift{') && l.includes('"label",measure="js"'))
    const now = Date.now()
    await store.write(Array.from({ length: 8 }, (_, i) => record({ timeMs: now, classIndex: i % 4, label: `c${i % 4}` })))
    await monitor.refresh()
    expect(await gauge()).toEqual([]) // the reference is there, but only 8 in the window
    await store.write(Array.from({ length: 8 }, () => record({ timeMs: now, classIndex: 0, label: 'c0' })))
    await monitor.refresh()
    const [line] = await gauge()
    expect(line).toStartWith('bun_infer_prediction_drift{model="mobilenetv2",version="1",distribution="label",measure="js"}')
    expect(Number(line!.split(' ').at(-1))).toBeGreaterThan(0)
    expect(
      (await metrics.registry.metrics()).includes('bun_infer_prediction_drift_window_predictions{model="mobilenetv2",version="1"} 16')
    ).toBe(true)
    served = []
    await monitor.refresh()
    expect(await gauge()).toEqual([])
    await monitor.stop()
    await store.close()
  })
})
