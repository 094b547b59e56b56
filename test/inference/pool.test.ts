import { describe, expect, test } from 'bun:test'
import { toWorkerModel, WorkerPool } from '../../src/inference/pool'
import { nativeHeapBytes } from '../../src/memory/native-heap'
import { discoverModels } from '../../src/models/catalog'
import { editManifest, MODELS_DIR, tempModelRepo } from '../../tools/model-repo'

const overrides = { maxBatchSize: 0, maxBatchDelayMs: -1 }
const mobilenet = discoverModels(MODELS_DIR, overrides).resolve('mobilenetv2')
const image = () => new Uint8Array(mobilenet.inputElements).fill(128)

describe('WorkerPool (real onnxruntime sessions on worker threads)', () => {
  test('a manifest naming an input the graph does not have fails the start with the file and field', async () => {
    const repo = tempModelRepo((d) => editManifest(d, 'mobilenetv2', (m) => (m.input.name = 'pixels')))
    const pool = new WorkerPool({
      size: 1,
      intraOpThreads: 1,
      models: [toWorkerModel(discoverModels(repo.dir, overrides).resolve('mobilenetv2'))]
    })
    try {
      await expect(pool.start()).rejects.toThrow(
        /mobilenetv2\/1\/model\.onnx .*field "input\.name": "pixels" is not a graph input \(graph has input\)/
      )
    } finally {
      await pool.close()
      repo.dispose()
    }
  })

  test('a worker that crashes fails only its batch (503 worker_lost), is replaced, and the next batch runs', async () => {
    const lost: string[] = []
    const pool = new WorkerPool({
      size: 1,
      intraOpThreads: 1,
      models: [toWorkerModel(mobilenet)],
      onWorkerLost: (reason) => lost.push(reason)
    })
    await pool.start()
    try {
      expect(pool.healthy).toBe(true)
      const ready = new Promise<void>((resolve) => pool.onIdle(resolve))
      await expect(pool.run(mobilenet.key, image(), 1, 'crash')).rejects.toMatchObject({ code: 'worker_lost' })
      expect(lost).toEqual(['worker exited'])
      expect(pool.healthy).toBe(false)
      await ready // the replacement has loaded
      const { output } = await pool.run(mobilenet.key, image(), 1)
      expect(output.length).toBe(1000)
      expect(pool.healthy).toBe(true)
    } finally {
      await pool.close()
    }
  }, 30_000)

  test('a worker that hangs is terminated by the batch watchdog and replaced', async () => {
    const pool = new WorkerPool({ size: 1, intraOpThreads: 1, models: [toWorkerModel(mobilenet)], batchWatchdogMs: 300 })
    await pool.start()
    try {
      const ready = new Promise<void>((resolve) => pool.onIdle(resolve))
      await expect(pool.run(mobilenet.key, image(), 1, 'hang')).rejects.toMatchObject({ code: 'worker_lost' })
      await ready
      expect((await pool.run(mobilenet.key, image(), 1)).output.length).toBe(1000)
    } finally {
      await pool.close()
    }
  }, 30_000)

  test('close() lets a running batch finish before it stops the worker, and starts no new one', async () => {
    // Terminating a worker inside session.run aborted the whole process (exit 134) in about one drain in ten after
    // clients had hung up on requests whose batch still ran; before, close() also failed such a batch with `draining`.
    const pool = new WorkerPool({ size: 1, intraOpThreads: 1, models: [toWorkerModel(mobilenet)] })
    await pool.start()
    const batch = pool.run(mobilenet.key, new Uint8Array(mobilenet.inputElements * 8).fill(128), 8)
    const closing = pool.close()
    expect(pool.idleFor(mobilenet.key)).toBe(0)
    const { output } = await batch
    expect(output.length).toBe(8 * 1000)
    await closing
    expect(pool.healthy).toBe(false)
  }, 30_000)

  test('close() stops a worker whose batch outlasts its wait (a wedged run with the watchdog off); the batch gets draining', async () => {
    const pool = new WorkerPool({ size: 1, intraOpThreads: 1, models: [toWorkerModel(mobilenet)], batchWatchdogMs: 0 })
    await pool.start()
    // Caught at once: close() rejects it, then waits for the thread to exit before it resolves.
    const hung = pool.run(mobilenet.key, image(), 1, 'hang').catch((error: unknown) => error)
    await pool.close(50)
    expect(await hung).toMatchObject({ code: 'draining' })
  }, 30_000)

  test.skipIf(nativeHeapBytes() === undefined)(
    'close() resolves once its workers have exited and freed their sessions',
    async () => {
      // So a pool started next in the process (the next test's) measures its loads without these frees mixed in.
      const pool = new WorkerPool({ size: 1, intraOpThreads: 1, models: [toWorkerModel(mobilenet)] })
      await pool.start()
      const loaded = pool.sessionsOf(mobilenet.key)!.memoryBytes
      const open = nativeHeapBytes()!
      await pool.close()
      expect(open - nativeHeapBytes()!).toBeGreaterThan(0.9 * loaded)
    },
    30_000
  )

  test('a lone image (a batch of one while no other worker is busy) runs on the lone session; one beside it, or a bigger batch, on the narrow one; same scores', async () => {
    // Spinning off as well, so the extra option reaches onnxruntime (a bad key or value would fail the load).
    const pool = new WorkerPool({ size: 2, intraOpThreads: 1, loneIntraOpThreads: 2, spinning: false, models: [toWorkerModel(mobilenet)] })
    await pool.start()
    try {
      const photo = () => new Uint8Array(mobilenet.inputElements).map((_, i) => (i * 7) % 251)
      const lone = await pool.run(mobilenet.key, photo(), 1)
      expect(lone.intraOpThreads).toBe(2)
      // Both dispatched at once: the first finds the pool idle, the second finds it busy.
      const [first, second] = await Promise.all([pool.run(mobilenet.key, photo(), 1), pool.run(mobilenet.key, photo(), 1)])
      expect([first.intraOpThreads, second.intraOpThreads]).toEqual([2, 1])
      for (let i = 0; i < 1000; i++) expect(second.output[i]!).toBeCloseTo(lone.output[i]!, 3)
      // A batch of two on an idle pool is not a lone image: the narrow session runs it (no second big arena).
      const pair = new Uint8Array(2 * mobilenet.inputElements)
      pair.set(photo())
      pair.set(photo(), mobilenet.inputElements)
      expect((await pool.run(mobilenet.key, pair, 2)).intraOpThreads).toBe(1)
    } finally {
      await pool.close()
    }
  }, 30_000)

  test('without a lone session every batch runs on the one session', async () => {
    const pool = new WorkerPool({ size: 1, intraOpThreads: 1, models: [toWorkerModel(mobilenet)] })
    await pool.start()
    try {
      expect((await pool.run(mobilenet.key, image(), 1)).intraOpThreads).toBe(1)
    } finally {
      await pool.close()
    }
  }, 30_000)
})
