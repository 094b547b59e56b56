import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../config/schema'
import type { Logger } from '../log'
import type { Metrics } from '../metrics/registry'
import { registerJobMetrics } from '../metrics/jobs'
import type { ModelCatalog } from '../models/catalog'
import type { Predictor } from '../predictor'
import { EmbeddedEngine } from './embedded-engine'
import type { JobEngine } from './engine'
import { JobService } from './service'

/** Job images in flight by default: four background batches per worker, so every worker is fed while the next decode. */
export const jobImagesInFlight = (config: Pick<Config, 'jobImagesInFlight' | 'workers' | 'jobBatchSize'>) =>
  config.jobImagesInFlight || 4 * config.workers * config.jobBatchSize

/** The engine of the config: embedded under BUN_INFER_DATA_DIR. */
function engineOf(config: Readonly<Config>): JobEngine {
  const dir = config.dataDir
  try {
    mkdirSync(dir, { recursive: true })
    return new EmbeddedEngine(join(dir, 'jobs.sqlite'), join(dir, 'job-spool'), {
      retentionMs: config.jobRetentionHours * 3_600_000,
      maxInFlight: jobImagesInFlight(config)
    })
  } catch (error) {
    throw new Error(`the job store cannot be opened under BUN_INFER_DATA_DIR=${dir}: ${(error as Error).message}`)
  }
}

/**
 * The job service of the config (undefined when BUN_INFER_JOBS=false). A store that cannot be opened stops
 * startup with one line saying so.
 */
export function openJobs(
  config: Readonly<Config>,
  deps: { predictor: Predictor; catalog: Pick<ModelCatalog, 'resolve'>; metrics: Metrics; log: Logger }
): JobService | undefined {
  if (!config.jobs) return undefined
  const engine = engineOf(config)
  let metrics: ReturnType<typeof registerJobMetrics> | undefined
  const service: JobService = new JobService({
    engine,
    spoolDir: join(config.dataDir, 'job-spool'),
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
