import { describe, expect, test } from 'bun:test'
import { cacheKey } from '../../src/cache'

const bytes = new TextEncoder().encode('not really a jpeg')

describe('cacheKey', () => {
  test('is stable for the same inputs', () => {
    expect(cacheKey(bytes, 'resnet50', '1', 5)).toBe(cacheKey(bytes.slice(), 'resnet50', '1', 5))
  })

  test('differs by model, version, top_k and every byte of the image', () => {
    const base = cacheKey(bytes, 'resnet50', '1', 5)
    const flipped = bytes.slice()
    flipped[flipped.length - 1]! ^= 1
    const variants = [
      cacheKey(bytes, 'mobilenet', '1', 5),
      cacheKey(bytes, 'resnet50', '2', 5),
      cacheKey(bytes, 'resnet50', '1', 3),
      cacheKey(flipped, 'resnet50', '1', 5),
      cacheKey(bytes.subarray(0, bytes.length - 1), 'resnet50', '1', 5)
    ]
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1)
  })

  test('a separator inside a name cannot make two different tuples one key', () => {
    expect(cacheKey(bytes, 'a/b', 'c', 1)).not.toBe(cacheKey(bytes, 'a', 'b/c', 1))
    expect(cacheKey(bytes, 'a/k1', '1', 1)).not.toBe(cacheKey(bytes, 'a', 'k1/1', 1))
  })

  test('ends with the SHA-256 of the bytes and never contains the bytes themselves', () => {
    const empty = cacheKey(new Uint8Array(0), 'm', 'v', 1)
    expect(empty).toBe('m/v/k1/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(cacheKey(bytes, 'm', 'v', 1)).not.toContain('jpeg')
  })

  test('rejects a top_k that is not a positive integer', () => {
    for (const k of [0, -1, 1.5, Number.NaN]) expect(() => cacheKey(bytes, 'm', 'v', k)).toThrow(RangeError)
  })
})
