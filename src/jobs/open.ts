import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../config/schema'
import { redactedUrl } from '../config/secrets'
import type { Logger } from '../log'
import type { Metrics } from '../metrics/registry'
import { registerJobMetrics } from '../metrics/jobs'
import type { ModelCatalog } from '../models/catalog'
import type { Predictor } from '../predictor'
import { EmbeddedEngine } from './embedded-engine'
import type { JobEngine } from './engine'
import type { RedisEngine, RedisEngineOptions } from './redis-engine'
import { JobService, jobRetentionMs } from './service'

/** Job images in flight by default: four background batches per worker, so every worker is fed while the next decode. */
export const jobImagesInFlight = (config: Pick<Config, 'jobImagesInFlight' | 'workers' | 'jobBatchSize'>) =>
  config.jobImagesInFlight || 4 * config.workers * config.jobBatchSize

/** Where uploads are spooled: the service writes them there, and the embedded engine reads its jobs' images there. */
const spoolDirOf = (config: Pick<Config, 'dataDir'>) => join(config.dataDir, 'job-spool')

/** Which of several server processes this one is (BUN_INFER_PROCESSES); absent when it serves alone. */
export interface ProcessRole {
  index: number
}

/** How often the embedded engine's working process looks for jobs that other server processes stored, ms. */
const SIBLING_POLL_MS = 1000

/**
 * The embedded engine: jobs.sqlite and the spool under BUN_INFER_DATA_DIR. Of several server processes on that
 * folder, the first works on the jobs and the others take uploads and answer reads.
 */
export function embeddedEngine(config: Readonly<Config>, role?: ProcessRole): EmbeddedEngine {
  const dir = config.dataDir
  try {
    mkdirSync(dir, { recursive: true })
    return new EmbeddedEngine(join(dir, 'jobs.sqlite'), spoolDirOf(config), {
      retentionMs: jobRetentionMs(config),
      maxInFlight: jobImagesInFlight(config),
      works: role === undefined || role.index === 0,
      pollMs: role === undefined ? undefined : SIBLING_POLL_MS
    })
  } catch (error) {
    throw new Error(`the job store cannot be opened under BUN_INFER_DATA_DIR=${dir}: ${(error as Error).message}`)
  }
}

/** The Redis engine's options from the config. */
export function redisEngineOptions(config: Readonly<Config>, prefix?: string): RedisEngineOptions {
  return {
    url: config.jobsRedisUrl,
    retentionMs: jobRetentionMs(config),
    concurrency: jobImagesInFlight(config),
    stalledMs: config.jobsStalledMs,
    prefix
  }
}

/** The Redis engine, connected, on a Redis that does not evict; else an error that says what to do. */
export async function redisEngine(config: Readonly<Config>): Promise<RedisEngine> {
  // Loaded only here: a server without a jobs Redis never loads BullMQ and ioredis.
  const { RedisEngine } = await import('./redis-engine')
  const engine = new RedisEngine(redisEngineOptions(config))
  try {
    await engine.connect()
  } catch (error) {
    await engine.stop()
    throw new Error(`the jobs Redis (BUN_INFER_JOBS_REDIS_URL=${redactedUrl(config.jobsRedisUrl)}): ${(error as Error).message}`)
  }
  return engine
}

/** The job service over `engine`, with its metrics on the server's registry. */
export function jobService(
  config: Readonly<Config>,
  engine: JobEngine,
  deps: { predictor: Predictor; catalog: Pick<ModelCatalog, 'resolve'>; metrics: Metrics; log: Logger }
): JobService {
  let metrics: ReturnType<typeof registerJobMetrics> | undefined
  const service: JobService = new JobService({
    engine,
    spoolDir: spoolDirOf(config),
    settings: config,
    resolveModel: (name, version) => deps.catalog.resolve(name, version),
    defaultModel: config.defaultModel,
    predictor: deps.predictor,
    onResult: (_job, result) => metrics?.imageDone('error' in result ? 'failed' : 'ok'),
    onError: (error) => deps.log.warn('job work failed', { error: String(error) })
  })
  metrics = registerJobMetrics(deps.metrics.registry, engine.store, () => service.imagesInFlight)
  return service
}

/**
 * The job service of the config (undefined when BUN_INFER_JOBS=false): on Redis with BUN_INFER_JOBS_REDIS_URL, else
 * embedded. A store that cannot be opened stops startup with one line saying so.
 */
export async function openJobs(
  config: Readonly<Config>,
  deps: Parameters<typeof jobService>[2],
  role?: ProcessRole
): Promise<JobService | undefined> {
  if (!config.jobs) return undefined
  // On Redis every process works: BullMQ hands each image to one of them.
  return jobService(config, config.jobsRedisUrl ? await redisEngine(config) : embeddedEngine(config, role), deps)
}
