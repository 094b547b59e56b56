import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ResultCache, type CachedPrediction, type SharedTierOptions } from '../../src/cache'
import { freePort, startRedisServer, type RedisServer } from '../../tools/process/redis-server'
import { EventRecorder } from '../helpers/event-recorder'

const GET_TIMEOUT_MS = 30
// Generous allowance over the configured timeout for a loaded CI machine; a stalled get without a timeout
// would take seconds, so the bound still fails when the timeout is missing.
const SLACK_MS = 200

let redis: RedisServer
const open: ResultCache[] = []

beforeAll(async () => {
  redis = await startRedisServer()
})

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()))
  await redis?.stop()
})

function prediction(label: string): CachedPrediction {
  return { predictions: [{ label, class_index: 7, score: 0.9 }], model_version: '1' }
}

/** A replica's cache on the test Redis; resolves once connected. */
async function replica(redisOptions: Partial<SharedTierOptions> = {}, now?: () => number) {
  const events = new EventRecorder()
  const connected = events.next('shared_connect')
  const cache = new ResultCache({
    maxEntries: 100,
    maxBytes: 100_000,
    ttlMs: 60_000,
    redis: { url: redis.url, getTimeoutMs: GET_TIMEOUT_MS, reconnectMinMs: 10, reconnectMaxMs: 100, ...redisOptions },
    onEvent: events.record,
    now
  })
  open.push(cache)
  await connected
  events.clear()
  return { cache, events }
}

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now()
  const value = await work
  return { value, ms: performance.now() - start }
}

describe('shared Redis tier', () => {
  test('a second replica gets a hit from the shared tier, then from its own local tier', async () => {
    const a = await replica()
    const b = await replica()
    a.cache.set('k-replica', prediction('tabby'))
    await a.cache.flush()
    expect(await b.cache.get('k-replica')).toEqual(prediction('tabby'))
    expect(await b.cache.get('k-replica')).toEqual(prediction('tabby'))
    expect(b.events.events).toEqual(['shared_hit', 'hit'])
    expect(await b.cache.get('k-absent')).toBeUndefined()
    expect(b.events.events.slice(2)).toEqual(['shared_miss', 'miss'])
  })

  test('a value in Redis that is not a prediction reads as a miss and is counted', async () => {
    const a = await replica({ keyPrefix: 'garbage-test:' })
    const raw = new Bun.RedisClient(redis.url)
    try {
      await raw.set('garbage-test:k', '{"predictions":"nope"}')
    } finally {
      raw.close()
    }
    expect(await a.cache.get('k')).toBeUndefined()
    expect(a.events.events).toEqual(['shared_error', 'miss'])
  })

  test('a stalled Redis costs a get at most the timeout, then the breaker skips it entirely', async () => {
    let offsetMs = 0
    const now = () => performance.now() + offsetMs
    const a = await replica({ breakerThreshold: 2, breakerCooldownMs: 1000 }, now)
    const b = await replica()
    a.cache.set('k-local', prediction('local'))
    await a.cache.flush()
    redis.pause()
    try {
      for (let i = 0; i < 2; i++) {
        const { value, ms } = await timed(a.cache.get(`k-stalled-${i}`))
        expect(value).toBeUndefined()
        expect(ms).toBeGreaterThanOrEqual(GET_TIMEOUT_MS - 1)
        expect(ms).toBeLessThan(GET_TIMEOUT_MS + SLACK_MS)
      }
      const skipped = await timed(a.cache.get('k-stalled-2'))
      expect(skipped.value).toBeUndefined()
      expect(skipped.ms).toBeLessThan(GET_TIMEOUT_MS - 1) // did not wait for Redis at all
      expect((await timed(a.cache.get('k-local'))).value).toEqual(prediction('local'))
      expect(a.events.count('shared_error')).toBe(3)
    } finally {
      redis.resume()
    }
    b.cache.set('k-after-stall', prediction('after'))
    await b.cache.flush()
    offsetMs += 1000 // the cooldown passes on a's clock
    expect(await a.cache.get('k-after-stall')).toEqual(prediction('after'))
  })

  test('a stall cannot pile up more than maxInFlight commands', async () => {
    const a = await replica({ maxInFlight: 2, breakerThreshold: 100 })
    redis.pause()
    try {
      const stalled = [a.cache.get('k-1'), a.cache.get('k-2')]
      const third = await timed(a.cache.get('k-3'))
      expect(third.ms).toBeLessThan(GET_TIMEOUT_MS - 1)
      expect(await Promise.all(stalled)).toEqual([undefined, undefined])
      expect(a.events.count('shared_error')).toBe(3)
    } finally {
      redis.resume()
    }
  })

  test('Redis stopped mid-run: gets answer from the local tier within the timeout; restarted: shared again', async () => {
    const a = await replica()
    const b = await replica()
    a.cache.set('k-before', prediction('before'))
    await a.cache.flush()
    const bDown = b.events.next('shared_disconnect')
    await redis.stop()

    // Straight after the stop, before or after the client has noticed: never a throw, never a stall.
    for (let i = 0; i < 20; i++) {
      const local = await timed(a.cache.get('k-before'))
      expect(local.value).toEqual(prediction('before'))
      const missing = await timed(a.cache.get(`k-down-${i}`))
      expect(missing.value).toBeUndefined()
      expect(missing.ms).toBeLessThan(GET_TIMEOUT_MS + SLACK_MS)
      a.cache.set(`k-down-${i}`, prediction('written while down'))
    }
    await a.cache.flush()
    await bDown
    const replicaMiss = await timed(b.cache.get('k-before')) // only Redis had it, and Redis is gone
    expect(replicaMiss.value).toBeUndefined()
    expect(replicaMiss.ms).toBeLessThan(GET_TIMEOUT_MS + SLACK_MS)
    expect(await a.cache.get('k-down-3')).toEqual(prediction('written while down'))
    expect(a.events.count('shared_error')).toBeGreaterThanOrEqual(20)
    expect(b.events.count('shared_error')).toBe(1)

    const reconnected = Promise.all([a.events.next('shared_connect'), b.events.next('shared_connect')])
    await redis.start()
    await reconnected
    a.cache.set('k-after', prediction('after'))
    await a.cache.flush()
    b.events.clear()
    expect(await b.cache.get('k-after')).toEqual(prediction('after'))
    expect(b.events.events).toEqual(['shared_hit'])
  })

  test('no Redis at the url at all: the cache works locally and closes cleanly', async () => {
    const events = new EventRecorder()
    const cache = new ResultCache({
      maxEntries: 10,
      maxBytes: 10_000,
      ttlMs: 60_000,
      redis: { url: `redis://127.0.0.1:${await freePort()}`, getTimeoutMs: GET_TIMEOUT_MS },
      onEvent: events.record
    })
    try {
      cache.set('k', prediction('local only'))
      const { value, ms } = await timed(cache.get('k-missing'))
      expect(value).toBeUndefined()
      expect(ms).toBeLessThan(GET_TIMEOUT_MS + SLACK_MS)
      expect(await cache.get('k')).toEqual(prediction('local only'))
      await cache.flush()
      expect(events.events).toContain('shared_error')
      expect(events.events).not.toContain('shared_connect')
    } finally {
      await cache.close()
    }
  })
})
