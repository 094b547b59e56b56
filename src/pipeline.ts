import { Batcher } from './batching/batcher'
import { systemClock } from './batching/clock'
import type { ResultCache } from './cache'
import type { Config } from './config/schema'
import { toWorkerModel, WorkerPool } from './inference/pool'
import type { Metrics } from './metrics/registry'
import { discoverModels, type ModelCatalog } from './models/registry'
import { Predictor } from './predictor'

/** Everything between bytes in and labels out, without HTTP: shared by the server and the CLI. */
export interface Pipeline {
  catalog: ModelCatalog
  pool: WorkerPool
  batcher: Batcher
  predictor: Predictor
}

export interface PipelineOptions {
  metrics?: Metrics
  cache?: ResultCache
  onWorkerLost?: (reason: string) => void
}

/** The models of `config.modelsDir`; throws when the default model is not among them. */
export function loadCatalog(config: Readonly<Config>): ModelCatalog {
  const catalog = discoverModels(config.modelsDir, config)
  if (!catalog.has(config.defaultModel))
    throw new Error(`BUN_INFER_DEFAULT_MODEL: no model "${config.defaultModel}" in ${config.modelsDir} (found: ${catalog.names().join(', ')})`)
  return catalog
}

/** Builds the worker pool, the batcher (one queue per model version) and the predictor; `pool.start()` loads the models. */
export function buildPipeline(config: Readonly<Config>, catalog: ModelCatalog, options: PipelineOptions = {}): Pipeline {
  const { metrics } = options
  const specs = catalog.specs()
  const labelsOf = new Map(specs.map((s) => [s.key, { model: s.name, version: String(s.version) }]))
  const pool = new WorkerPool({
    size: config.workers,
    intraOpThreads: config.intraOpThreads,
    batchTimeoutMs: config.batchTimeoutMs,
    models: specs.map(toWorkerModel),
    onWorkerLost: (reason) => {
      metrics?.workerRestarts.inc()
      options.onWorkerLost?.(reason)
    }
  })
  const batcher = new Batcher(pool, {
    maxQueueImages: config.maxQueueImages,
    clock: systemClock,
    onBatch: (key, size) => metrics?.batchSize.observe(labelsOf.get(key)!, size),
    onSkipped: (key) => metrics?.skipped.inc(labelsOf.get(key)!)
  })
  for (const spec of specs) {
    batcher.addModel(spec.key, {
      maxBatchSize: spec.maxBatchSize,
      maxBatchDelayMs: spec.maxBatchDelayMs,
      inputElements: spec.inputElements,
      outputElements: spec.manifest.output.classes
    })
    metrics?.modelInfo.set(labelsOf.get(spec.key)!, 1)
  }
  const predictor = new Predictor(catalog, batcher, config, metrics, options.cache)
  return { catalog, pool, batcher, predictor }
}
