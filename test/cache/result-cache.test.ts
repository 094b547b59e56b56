import { describe, expect, test } from 'bun:test'
import { ResultCache, type CacheEvent, type CachedPrediction } from '../../src/cache'

function prediction(label: string, padTo = 0): CachedPrediction {
  return { predictions: [{ label: label.padEnd(padTo, '.'), class_index: 1, score: 0.5 }], model_version: '1' }
}

/** A local-only cache on a clock the test moves, recording its events. */
function localCache(options: { maxEntries?: number; maxBytes?: number; ttlMs?: number } = {}) {
  // Not 0: lru-cache reads a start time of 0 as "no TTL", so a clock at 0 would never expire anything.
  const clock = { t: 1_000_000 }
  const events: CacheEvent[] = []
  const cache = new ResultCache({
    maxEntries: options.maxEntries ?? 100,
    maxBytes: options.maxBytes ?? 1_000_000,
    ttlMs: options.ttlMs ?? 60_000,
    now: () => clock.t,
    onEvent: (e) => events.push(e)
  })
  return { cache, clock, events }
}

describe('ResultCache (local tier)', () => {
  test('a set value comes back as an equal copy, with hit and miss events', async () => {
    const { cache, events } = localCache()
    expect(await cache.get('a')).toBeUndefined()
    cache.set('a', prediction('tabby'))
    const got = await cache.get('a')
    expect(got).toEqual(prediction('tabby'))
    got!.predictions[0]!.label = 'changed by a caller'
    expect(await cache.get('a')).toEqual(prediction('tabby'))
    expect(events).toEqual(['miss', 'hit', 'hit'])
  })

  test('keeps at most maxEntries, evicting the least recently used', async () => {
    const { cache, events } = localCache({ maxEntries: 3 })
    for (const k of ['a', 'b', 'c']) cache.set(k, prediction(k))
    await cache.get('a') // now b is the least recently used
    cache.set('d', prediction('d'))
    expect(await cache.get('b')).toBeUndefined()
    for (const k of ['a', 'c', 'd']) expect(await cache.get(k)).toEqual(prediction(k))
    expect(cache.localSize.entries).toBe(3)
    expect(events.filter((e) => e === 'eviction')).toHaveLength(1)
  })

  test('keeps at most maxBytes, counting key and serialised value', async () => {
    const { cache, events } = localCache({ maxBytes: 1000 })
    for (let i = 0; i < 10; i++) cache.set(`key${i}`, prediction(`label${i}`, 200)) // ~270 bytes each
    const { entries, bytes } = cache.localSize
    expect(bytes).toBeLessThanOrEqual(1000)
    expect(bytes).toBeGreaterThan(500)
    expect(entries).toBe(3)
    expect(events.filter((e) => e === 'eviction')).toHaveLength(7)
    expect(await cache.get('key9')).toEqual(prediction('label9', 200))
    expect(await cache.get('key0')).toBeUndefined()
  })

  test('an entry larger than maxBytes is not stored and evicts nothing', async () => {
    const { cache, events } = localCache({ maxBytes: 300 })
    cache.set('small', prediction('x'))
    cache.set('huge', prediction('y', 1000))
    expect(await cache.get('huge')).toBeUndefined()
    expect(await cache.get('small')).toEqual(prediction('x'))
    expect(events).not.toContain('eviction')
  })

  test('entries expire after ttlMs on the injected clock, without counting as evictions', async () => {
    const { cache, clock, events } = localCache({ ttlMs: 1000 })
    cache.set('a', prediction('a'))
    clock.t += 999
    expect(await cache.get('a')).toEqual(prediction('a'))
    clock.t += 2
    expect(await cache.get('a')).toBeUndefined()
    expect(events).toEqual(['hit', 'miss'])
  })

  test('rejects bounds that are not positive integers', () => {
    for (const bad of [{ maxEntries: 0 }, { maxBytes: -1 }, { ttlMs: 1.5 }]) {
      expect(() => new ResultCache({ maxEntries: 10, maxBytes: 10_000, ttlMs: 1000, ...bad })).toThrow(RangeError)
    }
  })
})
