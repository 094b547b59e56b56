import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../config/schema'
import type { Logger } from '../log'
import type { Metrics } from '../metrics/registry'
import { registerJobMetrics } from '../metrics/jobs'
import type { ModelCatalog } from '../models/catalog'
import type { Predictor } from '../predictor'
import { JobService } from './service'
import { SqliteJobStore } from './sqlite-job-store'

/** Job images in flight by default: four background batches per worker, so every worker is fed while the next decode. */
export const jobImagesInFlight = (config: Pick<Config, 'jobImagesInFlight' | 'workers' | 'jobBatchSize'>) =>
  config.jobImagesInFlight || 4 * config.workers * config.jobBatchSize

/**
 * The job service of the config (undefined when BUN_INFER_JOBS=false): the embedded store and spool under
 * BUN_INFER_DATA_DIR. A folder that cannot be written stops startup with one line saying so.
 */
export function openJobs(
  config: Readonly<Config>,
  deps: { predictor: Predictor; catalog: Pick<ModelCatalog, 'resolve'>; metrics: Metrics; log: Logger }
): JobService | undefined {
  if (!config.jobs) return undefined
  const dir = config.dataDir
  let store: SqliteJobStore
  try {
    mkdirSync(dir, { recursive: true })
    store = new SqliteJobStore(join(dir, 'jobs.sqlite'), config.jobRetentionHours * 3_600_000)
  } catch (error) {
    throw new Error(`the job store cannot be opened under BUN_INFER_DATA_DIR=${dir}: ${(error as Error).message}`)
  }
  let metrics: ReturnType<typeof registerJobMetrics> | undefined
  const service: JobService = new JobService({
    store,
    spoolDir: join(dir, 'job-spool'),
    settings: config,
    resolveModel: (name, version) => deps.catalog.resolve(name, version),
    defaultModel: config.defaultModel,
    predictor: deps.predictor,
    maxInFlight: jobImagesInFlight(config),
    onResult: (_job, result) => metrics?.imageDone('error' in result ? 'failed' : 'ok'),
    onError: (error) => deps.log.warn('job work failed', { error: String(error) })
  })
  metrics = registerJobMetrics(deps.metrics.registry, store, () => service.imagesInFlight)
  return service
}
