import { describe, expect, test } from 'bun:test'
import { checkTopKFor, MAX_TOP_K, parseTopK } from '../src/top-k'

describe('top_k as text (form fields, job queries)', () => {
  test.each([
    ['1', 1],
    ['5', 5],
    ['0005', 5],
    [String(MAX_TOP_K), MAX_TOP_K]
  ])('%p is %p', (raw, topK) => {
    expect(parseTopK(raw)).toBe(topK)
  })

  test.each(['0', '1001', '9999', '10000', '', ' 3', '3 ', '1e1', '0x10', '2.0', '-1', '+3'])('%p is refused', (raw) => {
    expect(() => parseTopK(raw)).toThrow(expect.objectContaining({ code: 'validation_failed' }))
  })
})

describe('top_k against a model', () => {
  const model = { name: 'three', labels: ['a', 'b', 'c'] }
  test('up to its label count is fine; one more names the model and its count', () => {
    expect(() => checkTopKFor(3, model)).not.toThrow()
    expect(() => checkTopKFor(4, model)).toThrow('top_k must be at most 3 for model three')
  })
})
