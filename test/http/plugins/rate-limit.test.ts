import { describe, expect, test } from 'bun:test'
import { TokenBuckets } from '../../../src/http/plugins/rate-limit'
import type { ErrorJson } from '../../helpers/requests'
import { testApp } from '../../helpers/test-app'

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

describe('per-client rate limit in the app', () => {
  const limited = testApp({ env: { BUN_INFER_RATE_LIMIT_PER_SECOND: '0.5', BUN_INFER_RATE_LIMIT_BURST: '2' } })

  test('beyond the burst: 429 rate_limited with Retry-After; health stays open', async () => {
    const responses: Response[] = []
    for (let i = 0; i < 4; i++) responses.push(await limited.request('/v1/models'))
    expect(responses.map((r) => r.status)).toEqual([200, 200, 429, 429])
    expect(Number(responses[3]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(((await responses[3]!.json()) as ErrorJson).error.code).toBe('rate_limited')
    expect((await limited.request('/health/ready')).status).toBe(200)
  })

  test('another API key is another client', async () => {
    expect((await limited.request('/v1/models', { headers: { 'x-api-key': 'some-other-client-key-123' } })).status).toBe(200)
  })
})
