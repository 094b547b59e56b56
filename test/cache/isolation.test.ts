import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { RedisClient } from 'bun'
import { startRedisServer, type RedisServer } from '../../tools/process/redis-server'
import { tempModelRepo } from '../../tools/model-repo'
import { imageBytes, multipart } from '../helpers/requests'
import { testApp, type TestApp } from '../helpers/test-app'

// Replicas (apps in process, the real pipeline wiring) of different deployments and builds on one Redis:
// only the same namespace and the same model file may share an answer.
let redis: RedisServer
let rebuilt: ReturnType<typeof tempModelRepo>
let apps: Record<'staging' | 'stagingTwin' | 'production' | 'rebuilt', TestApp>
let cat: Uint8Array

beforeAll(async () => {
  redis = await startRedisServer()
  // The same mobilenetv2 version 1 folder, with a model.onnx that is one byte longer: another build.
  rebuilt = tempModelRepo((dir) => appendFileSync(join(dir, 'mobilenetv2', '1', 'model.onnx'), new Uint8Array([0])))
  const env = (namespace: string, modelsDir?: string) => ({
    BUN_INFER_MAX_CACHE_ENTRIES: '1000',
    BUN_INFER_REDIS_URL: redis.url,
    BUN_INFER_CACHE_NAMESPACE: namespace,
    ...(modelsDir ? { BUN_INFER_MODELS_DIR: modelsDir } : {})
  })
  apps = {
    staging: testApp({ env: env('staging') }),
    stagingTwin: testApp({ env: env('staging') }),
    production: testApp({ env: env('production') }),
    rebuilt: testApp({ env: env('staging', rebuilt.dir) })
  }
  cat = await imageBytes('chelsea.jpg')
  await Promise.all(Object.values(apps).map(connected))
})

afterAll(async () => {
  await Promise.all(Object.values(apps ?? {}).map((app) => app.pipeline.cache?.close()))
  await redis?.stop()
  rebuilt?.dispose()
})

/** Waits, as a bounded condition, until the app's cache has connected to Redis. */
async function connected(app: TestApp): Promise<void> {
  const connects = async () =>
    Number(/cache_events_total\{event="shared_connect"\} (\d+)/.exec(await (await app.request('/metrics')).text())?.[1] ?? 0)
  for (let i = 0; i < 200 && (await connects()) < 1; i++) await Bun.sleep(25)
  expect(await connects()).toBe(1)
}

async function cached(app: TestApp): Promise<boolean> {
  const response = await app.request('/v1/predict', { method: 'POST', body: multipart([{ bytes: cat }]) })
  expect(response.status).toBe(200)
  const body = (await response.json()) as { metadata: { cached: boolean } }
  await app.pipeline.cache?.flush() // its write to Redis has landed before the next replica asks
  return body.metadata.cached
}

describe('what may share a cached answer through Redis', () => {
  test('the same namespace and the same model file share; another namespace or another build does not', async () => {
    expect(await cached(apps.staging)).toBe(false)
    expect(await cached(apps.stagingTwin)).toBe(true)
    expect(await cached(apps.production)).toBe(false)
    expect(await cached(apps.rebuilt)).toBe(false)

    const client = new RedisClient(redis.url)
    try {
      const keys = ((await client.send('KEYS', ['*'])) as string[]).sort()
      expect(keys.map((key) => key.slice(0, key.indexOf(':')))).toEqual(['production', 'staging', 'staging'])
      // The two staging keys differ only in the model file's digest.
      const [one, two] = keys.filter((key) => key.startsWith('staging:')).map((key) => key.split('/'))
      expect(one!.filter((part, i) => part !== two![i])).toHaveLength(1)
      expect(one![1]).toMatch(/^1%40[0-9a-f]{64}$/)
    } finally {
      client.close()
    }
  })
})
