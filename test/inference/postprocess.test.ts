import { describe, expect, test } from 'bun:test'
import { softmax, topK } from '../../src/inference/postprocess'

describe('softmax and topK', () => {
  test('softmax sums to 1 and survives large logits', () => {
    const p = softmax(Float32Array.from([1000, 1001, 999]))
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
    expect(p[1]!).toBeGreaterThan(p[0]!)
  })

  test('topK returns the best k in order, ties by lower index', () => {
    const labels = ['a', 'b', 'c', 'd', 'e']
    const result = topK(Float32Array.from([0.1, 0.4, 0.2, 0.4, 0.05]), 3, labels)
    expect(result.map((p) => p.class_index)).toEqual([1, 3, 2])
    expect(result[0]).toEqual({ label: 'b', class_index: 1, score: Math.fround(0.4) })
  })

  test('k larger than the classes returns them all', () => {
    expect(topK(Float32Array.from([0.3, 0.7]), 5, ['x', 'y']).map((p) => p.label)).toEqual(['y', 'x'])
  })
})
