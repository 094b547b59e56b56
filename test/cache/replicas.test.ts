import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { RedisClient } from 'bun'
import { startRedisServer, type RedisServer } from '../../tools/process/redis-server'
import { imageBytes, multipart, type PredictBody } from '../helpers/requests'
import { testApp, type TestApp } from '../helpers/test-app'

// Two replicas (two apps in process) sharing one real Redis, as in production.
let redis: RedisServer
let a: TestApp
let b: TestApp
let cat: Uint8Array
let coffee: Uint8Array
let rocket: Uint8Array
beforeAll(async () => {
  redis = await startRedisServer()
  const env = { BUN_INFER_MAX_CACHE_ENTRIES: '1000', BUN_INFER_REDIS_URL: redis.url }
  ;[a, b] = [testApp({ env }), testApp({ env })]
  ;[cat, coffee, rocket] = (await Promise.all(['chelsea.jpg', 'coffee.png', 'rocket.jpg'].map(imageBytes))) as [
    Uint8Array,
    Uint8Array,
    Uint8Array
  ]
})
afterAll(async () => {
  await Promise.all([a?.pipeline.cache?.close(), b?.pipeline.cache?.close()])
  await redis?.stop()
})

async function predict(server: TestApp, bytes: Uint8Array, headers: Record<string, string> = {}, fields: Record<string, string> = {}) {
  const response = await server.request('/v1/predict', { method: 'POST', headers, body: multipart([{ bytes }], fields) })
  expect(response.status).toBe(200)
  return (await response.json()) as PredictBody & { metadata: { cached: boolean; cached_images: number } }
}

async function metric(server: TestApp, pattern: RegExp): Promise<number> {
  const text = await (await server.request('/metrics')).text()
  return Number(pattern.exec(text)?.[1] ?? 0)
}
const batches = (s: TestApp) => metric(s, /bun_infer_batch_size_count\{model="mobilenetv2",version="1"\} (\d+)/)
const cacheEvent = (s: TestApp, event: string) => metric(s, new RegExp(`bun_infer_cache_events_total\\{event="${event}"\\} (\\d+)`))
/** Waits (bounded, as a condition) until `server` has connected to Redis `times` times in all. */
async function connectedTo(server: TestApp, times: number): Promise<void> {
  for (let i = 0; i < 200 && (await cacheEvent(server, 'shared_connect')) < times; i++) await Bun.sleep(25)
  expect(await cacheEvent(server, 'shared_connect')).toBeGreaterThanOrEqual(times)
}

describe('result cache (in process, and shared through Redis)', () => {
  test('a repeated photo is answered from the cache without touching a worker', async () => {
    // Each app connects to Redis in the background; a write made before that is skipped (best effort), and the
    // next test needs this one's answer in Redis.
    await Promise.all([connectedTo(a, 1), connectedTo(b, 1)])
    const first = await predict(a, cat)
    expect(first.metadata.cached).toBe(false)
    const before = await batches(a)
    const again = await predict(a, cat)
    expect(again.metadata.cached).toBe(true)
    expect(again.metadata.batch_sizes).toEqual([0])
    expect(again.predictions).toEqual(first.predictions)
    expect(await batches(a)).toBe(before)
    expect(await cacheEvent(a, 'hit')).toBeGreaterThanOrEqual(1)
  })

  test('another replica gets the answer from the shared tier', async () => {
    const before = await batches(b)
    const fromA = await predict(a, cat)
    await a.pipeline.cache?.flush() // the first test's write to Redis from A is fire-and-forget: let it land
    const fromB = await predict(b, cat)
    expect(fromB.metadata.cached).toBe(true)
    expect(fromB.predictions).toEqual(fromA.predictions)
    expect(await batches(b)).toBe(before)
    expect(await cacheEvent(b, 'shared_hit')).toBe(1)
  })

  test('top_k is part of the key; Cache-Control no-store and no-cache recompute', async () => {
    expect((await predict(a, cat, {}, { top_k: '2' })).metadata.cached).toBe(false)
    const before = await batches(a)
    expect((await predict(a, cat, { 'cache-control': 'no-store' })).metadata.cached).toBe(false)
    expect((await predict(a, cat, { 'cache-control': 'no-cache' })).metadata.cached).toBe(false)
    expect(await batches(a)).toBe(before + 2)
  })

  test('Redis stopped mid-run fails no request; after a restart the shared tier works again', async () => {
    await redis.stop()
    for (const server of [a, b]) expect((await predict(server, coffee)).metadata.cached).toBe(false)
    expect((await predict(a, coffee)).metadata.cached).toBe(true) // the local tier still answers
    expect(await cacheEvent(a, 'shared_error')).toBeGreaterThan(0)
    expect((await a.request('/health/ready')).status).toBe(200)

    await redis.start()
    // The client reconnects by itself; wait for it as a condition (bounded), not a sleep.
    await Promise.all([connectedTo(a, 2), connectedTo(b, 2)])
    // A computes a new photo and writes it to Redis (fire-and-forget): wait for the key to land, then B must hit it.
    const client = new RedisClient(redis.url)
    try {
      const keysBefore = Number(await client.send('DBSIZE', []))
      expect((await predict(a, rocket)).metadata.cached).toBe(false)
      for (let i = 0; i < 200 && Number(await client.send('DBSIZE', [])) === keysBefore; i++) await Bun.sleep(10)
      const sharedHits = await cacheEvent(b, 'shared_hit')
      expect((await predict(b, rocket)).metadata.cached).toBe(true)
      expect(await cacheEvent(b, 'shared_hit')).toBe(sharedHits + 1)
    } finally {
      client.close()
    }
  })
})
