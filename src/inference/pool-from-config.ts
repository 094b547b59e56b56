import type { Config } from '../config/schema'
import type { ModelCatalog } from '../models/catalog'
import { toWorkerModel, WorkerPool } from './pool'
import { sessionThreads } from './threads'

/** The inference worker pool for every model version of `catalog`, sized by config: the server's and the CLI's. */
export function createWorkerPool(config: Readonly<Config>, catalog: ModelCatalog, onWorkerLost: (reason: string) => void): WorkerPool {
  return new WorkerPool({
    size: config.workers,
    ...sessionThreads(config),
    batchWatchdogMs: config.batchWatchdogMs,
    models: catalog.specs().map(toWorkerModel),
    onWorkerLost
  })
}
