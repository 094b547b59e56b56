import { toWorkerModel, WorkerPool } from '../../src/inference/pool'
import type { ModelSpec } from '../../src/models/catalog'

/** A real worker pool (real onnxruntime sessions on a worker thread) for the given model versions. */
export async function startPool(specs: ModelSpec[], size = 1): Promise<WorkerPool> {
  const pool = new WorkerPool({ size, intraOpThreads: 1, models: specs.map(toWorkerModel) })
  await pool.start()
  return pool
}
