import { describe, expect, test } from 'bun:test'
import { ResultCache } from '../../src/cache'

const bytes = new TextEncoder().encode('not really a jpeg')

describe('ResultCache.key', () => {
  test('is stable for the same inputs', () => {
    expect(ResultCache.key(bytes, 'resnet50', '1', 5)).toBe(ResultCache.key(bytes.slice(), 'resnet50', '1', 5))
  })

  test('differs by model, version, top_k and every byte of the image', () => {
    const base = ResultCache.key(bytes, 'resnet50', '1', 5)
    const flipped = bytes.slice()
    flipped[flipped.length - 1]! ^= 1
    const variants = [
      ResultCache.key(bytes, 'mobilenet', '1', 5),
      ResultCache.key(bytes, 'resnet50', '2', 5),
      ResultCache.key(bytes, 'resnet50', '1', 3),
      ResultCache.key(flipped, 'resnet50', '1', 5),
      ResultCache.key(bytes.subarray(0, bytes.length - 1), 'resnet50', '1', 5)
    ]
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1)
  })

  test('a separator inside a name cannot make two different tuples one key', () => {
    expect(ResultCache.key(bytes, 'a/b', 'c', 1)).not.toBe(ResultCache.key(bytes, 'a', 'b/c', 1))
    expect(ResultCache.key(bytes, 'a/k1', '1', 1)).not.toBe(ResultCache.key(bytes, 'a', 'k1/1', 1))
  })

  test('ends with the SHA-256 of the bytes and never contains the bytes themselves', () => {
    const empty = ResultCache.key(new Uint8Array(0), 'm', 'v', 1)
    expect(empty).toBe('m/v/k1/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(ResultCache.key(bytes, 'm', 'v', 1)).not.toContain('jpeg')
  })

  test('rejects a top_k that is not a positive integer', () => {
    for (const k of [0, -1, 1.5, Number.NaN]) expect(() => ResultCache.key(bytes, 'm', 'v', k)).toThrow(RangeError)
  })
})
