import { afterAll, beforeAll } from 'bun:test'
import { redisEngineOptions } from '../../src/jobs/open'
import { RedisEngine } from '../../src/jobs/redis-engine'
import { startRedisServer, type RedisServer } from '../../tools/process/redis-server'
import { jobContract } from './contract'

// The same contract on a real redis-server with BullMQ; each app gets keys of its own.
let redis: RedisServer
beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(() => redis.stop())

let apps = 0
jobContract('Redis', (config) => new RedisEngine(redisEngineOptions({ ...config, jobsRedisUrl: redis.url }, `test-${++apps}`)))
