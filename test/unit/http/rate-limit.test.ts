import { describe, expect, test } from 'bun:test'
import { isExempt, keyMatcher } from '../../../src/http/plugins/auth'
import { TokenBuckets } from '../../../src/http/plugins/rate-limit'

describe('TokenBuckets', () => {
  test('allows the burst, then one request per 1/rate seconds, per client', () => {
    let now = 0
    const buckets = new TokenBuckets({ ratePerSecond: 2, burst: 3, now: () => now })
    expect([buckets.take('a'), buckets.take('a'), buckets.take('a')]).toEqual([0, 0, 0])
    expect(buckets.take('a')).toBeCloseTo(0.5, 5)
    expect(buckets.take('b')).toBe(0)
    now += 500
    expect(buckets.take('a')).toBe(0)
    expect(buckets.take('a')).toBeGreaterThan(0)
    now += 10_000
    expect([buckets.take('a'), buckets.take('a'), buckets.take('a'), buckets.take('a') > 0]).toEqual([0, 0, 0, true])
  })
})

describe('auth helpers', () => {
  test('keyMatcher accepts only exact keys', () => {
    const matches = keyMatcher(['k1-0123456789abcdef', 'k2-0123456789abcdef'])
    expect(matches('k2-0123456789abcdef')).toBe(true)
    expect(matches('k2-0123456789abcde')).toBe(false)
    expect(matches('')).toBe(false)
  })

  test('isExempt matches a prefix and what is below it, not look-alikes', () => {
    expect(isExempt('/docs/assets/x.js', ['/docs'])).toBe(true)
    expect(isExempt('/docs', ['/docs'])).toBe(true)
    expect(isExempt('/docsx', ['/docs'])).toBe(false)
    expect(isExempt('/v1/predict', ['/health', '/metrics'])).toBe(false)
  })
})
