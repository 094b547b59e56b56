import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { RedisClient } from 'bun'
import { ResultCache, sharedKeyPrefix, type CachedPrediction } from '../../src/cache'
import { startRedisServer, type RedisServer } from '../../tools/process/redis-server'
import { EventRecorder } from '../helpers/event-recorder'

// The Redis of deploy/compose.yaml, as shipped: its ACL rules are read from the compose file and applied to a
// real redis-server, and the replicas' URL is the compose one with the host swapped. What a replica with the
// password can do, and what one without it (or anyone else on the network) cannot.
const PASSWORD = 'c0ffee'.repeat(8)
const GET_TIMEOUT_MS = 30

interface Compose {
  services: Record<string, { command?: string[]; environment?: Record<string, string> }>
}
const compose = Bun.YAML.parse(await Bun.file(join(import.meta.dir, '../../deploy/compose.yaml')).text()) as Compose
// biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation, as the file spells it
const PASSWORD_VARIABLE = '${REDIS_PASSWORD:?set REDIS_PASSWORD}'
const withPassword = (text: string) => text.replace(PASSWORD_VARIABLE, PASSWORD)

/** The `--user name rule…` directives of the compose redis command, password filled in. */
function aclUsers(command: string[]): string[][] {
  const users: string[][] = []
  command.forEach((arg, i) => {
    if (arg !== '--user') return
    const end = command.findIndex((next, j) => j > i && next.startsWith('--'))
    users.push(command.slice(i + 1, end === -1 ? undefined : end).map(withPassword))
  })
  return users
}

let redis: RedisServer
/** A user of this test only, allowed INFO alone: counts the connections Redis received. */
let observer: RedisClient
let replicaUrl: string
let namespace: string
const open: ResultCache[] = []

beforeAll(async () => {
  redis = await startRedisServer()
  const admin = new RedisClient(redis.url)
  try {
    // The default user last: once it is off, this connection is the only one it keeps.
    const all = aclUsers(compose.services.redis!.command!)
    const users = [...all.filter(([name]) => name !== 'default'), ...all.filter(([name]) => name === 'default')]
    await admin.send('ACL', ['SETUSER', 'observer', 'on', '>observer', '-@all', '+info'])
    for (const [name, ...rules] of users) await admin.send('ACL', ['SETUSER', name!, ...rules])
  } finally {
    admin.close()
  }
  const env = compose.services['replica-1']!.environment!
  replicaUrl = withPassword(env.BUN_INFER_REDIS_URL!).replace('@redis:6379', `@127.0.0.1:${redis.port}`)
  namespace = env.BUN_INFER_CACHE_NAMESPACE!
  observer = new RedisClient(`redis://observer:observer@127.0.0.1:${redis.port}`)
  await observer.connect()
})

afterAll(async () => {
  observer?.close()
  await Promise.all(open.map((cache) => cache.close()))
  await redis?.stop()
})

const prediction = (label: string): CachedPrediction => ({ predictions: [{ label, class_index: 1, score: 0.5 }], model_version: '1' })

async function connectionsReceived(): Promise<number> {
  return Number(/total_connections_received:(\d+)/.exec(await observer.send('INFO', ['stats']))![1])
}

/** A replica's cache on that Redis, with `url` and `namespace`. */
function replica(url: string, ns = namespace) {
  const events = new EventRecorder()
  const cache = new ResultCache({
    maxEntries: 100,
    maxBytes: 100_000,
    ttlMs: 60_000,
    redis: { url, getTimeoutMs: GET_TIMEOUT_MS, keyPrefix: sharedKeyPrefix(ns), reconnectMinMs: 10, reconnectMaxMs: 50 },
    onEvent: events.record
  })
  open.push(cache)
  return { cache, events }
}

const connected = (r: ReturnType<typeof replica>) => r.events.next('shared_connect', { alreadySeen: true })

describe('Redis with the shipped ACL', () => {
  test('the replicas of one deployment share answers through the URL that carries the password', async () => {
    const a = replica(replicaUrl)
    const b = replica(replicaUrl)
    await Promise.all([connected(a), connected(b)])
    a.cache.set('k-shared', prediction('tabby'))
    await a.cache.flush()
    b.events.clear()
    expect(await b.cache.get('k-shared')).toEqual(prediction('tabby'))
    expect(b.events.events).toEqual(['shared_hit'])
  })

  test('without the password a replica never reaches Redis and keeps answering from its own tier', async () => {
    for (const url of [`redis://127.0.0.1:${redis.port}`, replicaUrl.replace(PASSWORD, 'not-the-password')]) {
      const before = await connectionsReceived()
      const stranger = replica(url)
      // A refused attempt is followed by another (the tier reconnects): three of them, none let in.
      while ((await connectionsReceived()) < before + 3);
      expect(stranger.events.count('shared_connect')).toBe(0)
      stranger.cache.set('k-planted', prediction('planted'))
      await stranger.cache.flush()
      const started = performance.now()
      expect(await stranger.cache.get('k-not-here')).toBeUndefined()
      expect(performance.now() - started).toBeLessThan(GET_TIMEOUT_MS)
      expect(await stranger.cache.get('k-planted')).toEqual(prediction('planted')) // its local tier still works
      expect(stranger.events.count('shared_error')).toBeGreaterThanOrEqual(2)
    }
    const honest = replica(replicaUrl)
    await connected(honest)
    expect(await honest.cache.get('k-planted')).toBeUndefined()
  })

  test('the password opens only GET and SET on its own namespace: no other namespace, no other command', async () => {
    const elsewhere = replica(replicaUrl, `${namespace}-other`)
    await connected(elsewhere)
    elsewhere.cache.set('k-elsewhere', prediction('elsewhere'))
    await elsewhere.cache.flush()
    expect(elsewhere.events.count('shared_error')).toBe(1) // the write was refused (NOPERM)
    const raw = new RedisClient(replicaUrl)
    try {
      for (const [command, args] of [
        ['FLUSHALL', []],
        ['KEYS', ['*']],
        ['CONFIG', ['SET', 'requirepass', '']],
        ['ACL', ['LIST']]
      ] as const)
        await expect(raw.send(command, [...args])).rejects.toThrow(/NOPERM/)
    } finally {
      raw.close()
    }
  })
})
