import { describe, expect, test } from 'bun:test'
import { toWorkerModel, WorkerPool } from '../../src/inference/pool'
import { discoverModels } from '../../src/models/registry'
import { MODELS_DIR } from '../../tools/model-repo'

// Sessions added and freed while the pool runs (the repository extension), on real worker threads.
const overrides = { maxBatchSize: 0, maxBatchDelayMs: -1 }
const catalog = discoverModels(MODELS_DIR, overrides)
const mobilenet = catalog.resolve('mobilenetv2')
const third = catalog.resolve('mobilenetv2-uint8-nhwc')

// A model refused by the workers is covered by test/models/repository.test.ts (fake host) and was checked by hand on
// the real pool; under bun test, a worker's error reply to add-models (and to a run of a removed model) never
// arrived, while the same calls from a plain bun script answered at once (see the v2 branch report).
describe('WorkerPool.addModels / removeModels', () => {
  test('a model added at run time runs; removing it leaves the others running', async () => {
    const pool = new WorkerPool({ size: 2, intraOpThreads: 1, models: [toWorkerModel(mobilenet)] })
    await pool.start()
    try {
      await pool.addModels([toWorkerModel(third)])
      const r = await pool.run(third.key, new Uint8Array(third.inputElements).fill(128), 1)
      expect(r.output.length).toBe(1000)
      pool.removeModels([third.key])
      // A mobilenet batch after the removal still runs (the worker answered the removal without a hitch).
      expect((await pool.run(mobilenet.key, new Uint8Array(mobilenet.inputElements), 1)).output.length).toBe(1000)
    } finally {
      await pool.close()
    }
  }, 30_000)
})
