import { WorkerPool } from '../../src/inference/pool'
import type { ModelSpec } from '../../src/models/registry'

/** A real worker pool (real onnxruntime sessions on a worker thread) for the given models. */
export async function startPool(models: ModelSpec[], size = 1): Promise<WorkerPool> {
  const pool = new WorkerPool({
    size,
    intraOpThreads: 1,
    models: models.map((m) => ({
      name: m.name,
      modelPath: m.modelPath,
      inputName: m.manifest.input.name,
      outputName: m.manifest.output.name,
      imageDims: [m.manifest.input.channels, m.manifest.input.height, m.manifest.input.width],
      classes: m.manifest.output.classes
    }))
  })
  await pool.start()
  return pool
}
