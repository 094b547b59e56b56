import { describe, expect, test } from 'bun:test'
import { toWorkerModel, WorkerPool } from '../../src/inference/pool'
import { discoverModels } from '../../src/models/catalog'
import { MODELS_DIR } from '../../tools/model-repo'

// Sessions added and freed while the pool runs (the repository extension), on real worker threads.
const overrides = { maxBatchSize: 0, maxBatchDelayMs: -1 }
const catalog = discoverModels(MODELS_DIR, overrides)
const mobilenet = catalog.resolve('mobilenetv2')
const third = catalog.resolve('mobilenetv2-uint8-nhwc')
const shufflenet = catalog.resolve('shufflenetv2')

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

describe('WorkerPool instance counts (Triton instance groups)', () => {
  test('a one-instance model lives on one worker, with its load-time memory; a crash of that worker brings it back', async () => {
    // The shipped manifests: mobilenetv2 on every worker, the other two on one worker each.
    expect([mobilenet.instances, third.instances, shufflenet.instances]).toEqual([undefined, 1, 1])
    const pool = new WorkerPool({ size: 2, intraOpThreads: 1, models: [toWorkerModel(mobilenet), toWorkerModel(third)] })
    await pool.start()
    try {
      expect([pool.idleFor(mobilenet.key), pool.idleFor(third.key)]).toEqual([2, 1])
      const [all, one] = [pool.sessionsOf(mobilenet.key)!, pool.sessionsOf(third.key)!]
      expect([all.instances, one.instances]).toEqual([2, 1])
      // Weights, graph and a warm-up run: MBs per session (the int8 mobilenetv2 file alone is 3.5 MB). Both are that
      // network, so the model on both workers counts twice what the model on one worker counts.
      expect(one.memoryBytes).toBeGreaterThan(4e6)
      expect(all.memoryBytes / one.memoryBytes).toBeCloseTo(2, 1)
      expect(pool.sessionsOf('nothing:1')).toBeUndefined()

      // While its one worker runs a batch, no other worker can take the model's next one.
      const running = pool.run(third.key, new Uint8Array(third.inputElements * 8), 8)
      expect([pool.idleFor(third.key), pool.idleFor(mobilenet.key)]).toEqual([0, 1])
      expect((await running).output.length).toBe(8000)

      // Its worker dies: the replacement loads the same models, so the model runs again.
      const backAgain = new Promise<void>((resolve) => pool.onIdle(() => pool.idleFor(third.key) === 1 && resolve()))
      await expect(pool.run(third.key, new Uint8Array(third.inputElements), 1, 'crash')).rejects.toMatchObject({ code: 'worker_lost' })
      await backAgain
      expect((await pool.run(third.key, new Uint8Array(third.inputElements).fill(90), 1)).output.length).toBe(1000)
      expect(pool.sessionsOf(third.key)!.instances).toBe(1)

      // A model added at run time with one instance goes to the worker holding fewer models.
      await pool.addModels([toWorkerModel(shufflenet)])
      expect([pool.idleFor(shufflenet.key), pool.sessionsOf(shufflenet.key)!.instances]).toEqual([1, 1])
      const thirdBusy = pool.run(third.key, new Uint8Array(third.inputElements * 8), 8)
      expect(pool.idleFor(shufflenet.key)).toBe(1) // on the other worker
      expect((await pool.run(shufflenet.key, new Uint8Array(shufflenet.inputElements), 1)).output.length).toBe(1000)
      await thirdBusy
      pool.removeModels([shufflenet.key])
      expect([pool.idleFor(shufflenet.key), pool.sessionsOf(shufflenet.key)]).toEqual([0, undefined])
    } finally {
      await pool.close()
    }
  }, 60_000)
})
