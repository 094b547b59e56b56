/**
 * Measurement behind the choice of Redis client for the shared cache tier (Bun's RedisClient vs ioredis).
 * Not a test: run by hand, against a throwaway redis-server it starts and stops itself:
 *
 *   IOREDIS=/path/to/node_modules/ioredis bun bench/micro/redis-client.ts
 *
 * ioredis is not a dependency (Bun's client won), so point IOREDIS at an install outside the repo;
 * without it only Bun's client is measured. Results and the decision are in src/cache/README.md.
 */
import { RedisClient } from 'bun'
import { startRedisServer } from '../../tools/process/redis-server'

/** The three calls the shared tier makes, behind one shape so both clients run the same loops. */
interface Client {
  name: string
  get(key: string): Promise<string | null>
  setPx(key: string, value: string, ms: number): Promise<unknown>
  close(): unknown
}

const VALUE = JSON.stringify({
  predictions: Array.from({ length: 5 }, (_, i) => ({ label: `label number ${i}`, class_index: 281 + i, score: 0.1 * i })),
  model_version: '1'
})

async function bunClient(url: string): Promise<Client> {
  const c = new RedisClient(url, { enableOfflineQueue: false, connectionTimeout: 500 })
  await c.connect()
  return { name: 'bun RedisClient', get: (k) => c.get(k), setPx: (k, v, ms) => c.set(k, v, 'PX', ms), close: () => c.close() }
}

async function ioredisClient(url: string, path: string): Promise<Client> {
  const { default: Redis } = await import(path)
  const c = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 500,
    retryStrategy: (times: number) => Math.min(times * 50, 500)
  })
  await new Promise((resolve) => c.once('ready', resolve))
  return {
    name: 'ioredis ' + (await import(path + '/package.json')).default.version,
    get: (k: string) => c.get(k),
    setPx: (k: string, v: string, ms: number) => c.set(k, v, 'PX', ms),
    close: () => c.disconnect()
  }
}

function pct(sorted: number[], p: number): string {
  return (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 1000).toFixed(0) + ' µs'
}

async function measure(c: Client): Promise<void> {
  for (let i = 0; i < 1000; i++) await c.setPx(`k${i}`, VALUE, 60_000)
  for (let i = 0; i < 2000; i++) await c.get(`k${i % 1000}`) // warm-up
  const lat: number[] = []
  for (let i = 0; i < 10_000; i++) {
    const t = performance.now()
    await c.get(`k${i % 1000}`)
    lat.push(performance.now() - t)
  }
  lat.sort((a, b) => a - b)
  let t = performance.now()
  for (let r = 0; r < 500; r++) await Promise.all(Array.from({ length: 64 }, (_, i) => c.get(`k${(r * 64 + i) % 1000}`)))
  const getRate = (500 * 64) / ((performance.now() - t) / 1000)
  t = performance.now()
  await Promise.all(Array.from({ length: 20_000 }, (_, i) => c.setPx(`s${i}`, VALUE, 60_000)))
  const setRate = 20_000 / ((performance.now() - t) / 1000)
  console.log(
    `${c.name}: sequential GET p50 ${pct(lat, 0.5)} p99 ${pct(lat, 0.99)}; ` +
      `64-way GET ${Math.round(getRate)}/s; 20k SET PX burst ${Math.round(setRate)}/s`
  )
}

/** How long a GET takes to fail once the server is gone, and how long until GETs work after a restart. */
async function outage(make: () => Promise<Client>, redis: Awaited<ReturnType<typeof startRedisServer>>): Promise<void> {
  const c = await make()
  await redis.stop()
  let t = performance.now()
  const outcome = await c.get('k1').then(
    () => 'answered',
    (e) => `rejected (${String(e).slice(0, 60)})`
  )
  const failMs = performance.now() - t
  await redis.start()
  t = performance.now()
  let attempts = 0
  for (;;) {
    attempts++
    const ok = await c.get('k1').then(
      () => true,
      () => false
    )
    if (ok) break
    if (performance.now() - t > 10_000) break
    await new Promise((r) => setTimeout(r, 5)) // a bench, not a test: a short poll is the measurement
  }
  console.log(
    `${c.name}: GET while down ${outcome} after ${failMs.toFixed(1)} ms; ` +
      `working again ${(performance.now() - t).toFixed(0)} ms after restart (${attempts} tries)`
  )
  await c.close()
}

const redis = await startRedisServer()
try {
  const makers: Array<() => Promise<Client>> = [() => bunClient(redis.url)]
  const ioPath = process.env.IOREDIS
  if (ioPath) makers.push(() => ioredisClient(redis.url, ioPath))
  for (const make of makers) {
    const c = await make()
    await measure(c)
    await c.close()
  }
  for (const make of makers) await outage(make, redis)
} finally {
  await redis.stop()
}
