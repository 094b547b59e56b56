import { describe, expect, test } from 'bun:test'
import { Batcher } from '../../src/batching/batcher'
import type { WorkerModel } from '../../src/inference/protocol'
import { discoverModels } from '../../src/models/catalog'
import { ModelRepository, type ModelHost } from '../../src/models/repository'
import { MODELS_DIR } from '../../tools/model-repo'
import { AnsweringRunner } from '../helpers/answering-runner'
import { FakeClock } from '../helpers/fake-clock'

const overrides = { maxBatchSize: 0, maxBatchDelayMs: -1 }

/** A repository over a real catalog and batcher, with a host that records what the workers would load and free. */
function setup(fail?: string) {
  const catalog = discoverModels(MODELS_DIR, overrides)
  const runner = new AnsweringRunner(1, () => 1000)
  const batcher = new Batcher(runner, { maxQueueImages: 16, clock: new FakeClock() })
  for (const spec of catalog.specs())
    batcher.addModel(spec.key, { maxBatchSize: 8, maxBatchDelayMs: 0, inputElements: spec.inputElements, outputElements: 1000 })
  const calls: string[] = []
  const host: ModelHost = {
    async addModels(models: WorkerModel[]) {
      calls.push(`add ${models.map((m) => m.key)}`)
      if (fail) throw new Error(fail)
    },
    removeModels: (keys) => void calls.push(`remove ${keys}`)
  }
  const repository = new ModelRepository(catalog, batcher, host, {
    modelsDir: MODELS_DIR,
    overrides,
    defaultModel: 'mobilenetv2',
    drainTimeoutMs: 5000
  })
  return { catalog, runner, batcher, calls, repository }
}

describe('ModelRepository', () => {
  test('unload takes the model out at once, waits for its accepted images, then frees queues and sessions; load brings it back', async () => {
    const { catalog, runner, batcher, calls, repository } = setup()
    runner.hold()
    const accepted = batcher.submit('shufflenetv2:1', [new Uint8Array(catalog.resolve('shufflenetv2').inputElements)])
    const unloading = repository.unload('shufflenetv2')
    await Bun.sleep(30)
    expect(catalog.has('shufflenetv2')).toBe(false) // new requests: 404 already
    expect(calls).toEqual([]) // but the session stays while its image runs
    runner.release()
    await accepted
    await unloading
    expect(calls).toEqual(['remove shufflenetv2:1'])
    expect(batcher.inUse('shufflenetv2:1')).toBe(0)
    expect(repository.index().find((e) => e.name === 'shufflenetv2')).toEqual({
      name: 'shufflenetv2',
      state: 'UNAVAILABLE',
      reason: 'unloaded'
    })

    await repository.load('shufflenetv2')
    expect(calls.at(-1)).toBe('add shufflenetv2:1')
    expect(catalog.resolve('shufflenetv2').version).toBe(1)
    await repository.load('shufflenetv2') // already loaded: nothing to do
    expect(calls.length).toBe(2)
  })

  test('a model the workers refuse is not served, and its queues are gone', async () => {
    const { catalog, batcher, repository } = setup('field "input.layout": no')
    await repository.unload('shufflenetv2').catch(() => {}) // host.removeModels does not fail
    await expect(repository.load('shufflenetv2')).rejects.toMatchObject({
      status: 400,
      code: 'repository_refused',
      message: expect.stringContaining('field "input.layout": no')
    })
    expect(catalog.has('shufflenetv2')).toBe(false)
    expect(() => batcher.submit('shufflenetv2:1', [new Uint8Array(1)])).toThrow('no queue')
  })

  test('refuses the default model, unknown names and names that leave the models directory', async () => {
    const { repository } = setup()
    await expect(repository.unload('mobilenetv2')).rejects.toMatchObject({ code: 'repository_refused' })
    await expect(repository.unload('nope')).rejects.toMatchObject({ code: 'model_not_found' })
    for (const name of ['../models', '/etc', 'a/../../b', 'nope'])
      await expect(repository.load(name)).rejects.toMatchObject({ code: 'model_not_found' })
  })

  test('index lists every folder with a model.json, one row per loaded version', () => {
    const { repository } = setup()
    expect(repository.index().map((e) => `${e.name}:${e.version}:${e.state}`)).toEqual([
      'mobilenetv2:1:READY',
      'mobilenetv2-uint8-nhwc:1:READY',
      'shufflenetv2:1:READY'
    ])
  })
})

describe('ModelRepository reload (a new version folder while serving)', () => {
  test('load on a loaded model adds the new version first, switches the default in one step, then drains and frees the removed one', async () => {
    const { cpSync, rmSync } = await import('node:fs')
    const { join } = await import('node:path')
    const { tempModelRepo } = await import('../../tools/model-repo')
    const repo = tempModelRepo()
    try {
      const catalog = discoverModels(repo.dir, overrides)
      const runner = new AnsweringRunner(1, () => 1000)
      const batcher = new Batcher(runner, { maxQueueImages: 16, clock: new FakeClock() })
      for (const spec of catalog.specs())
        batcher.addModel(spec.key, { maxBatchSize: 8, maxBatchDelayMs: 0, inputElements: spec.inputElements, outputElements: 1000 })
      const calls: string[] = []
      const host: ModelHost = {
        addModels: async (models) => void calls.push(`add ${models.map((m) => m.key)}`),
        removeModels: (keys) => void calls.push(`remove ${keys}`)
      }
      const repository = new ModelRepository(catalog, batcher, host, {
        modelsDir: repo.dir,
        overrides,
        defaultModel: 'mobilenetv2',
        drainTimeoutMs: 5000
      })
      const v1 = catalog.resolve('shufflenetv2')
      // An image of version 1 is running when version 2 arrives and version 1's folder goes.
      runner.hold()
      const accepted = batcher.submit(v1.key, [new Uint8Array(v1.inputElements)])
      cpSync(join(repo.dir, 'shufflenetv2/1'), join(repo.dir, 'shufflenetv2/2'), { recursive: true })
      await repository.load('shufflenetv2')
      expect(calls).toEqual(['add shufflenetv2:2'])
      expect(catalog.resolve('shufflenetv2').version).toBe(2) // the new default
      expect(catalog.versionsOf('shufflenetv2').map((s) => s.version)).toEqual([1, 2])

      rmSync(join(repo.dir, 'shufflenetv2/1'), { recursive: true })
      const reloading = repository.load('shufflenetv2')
      while (catalog.versionsOf('shufflenetv2').length > 1) await Bun.sleep(1) // the switch (a condition)
      expect(catalog.versionsOf('shufflenetv2').map((s) => s.version)).toEqual([2]) // version 1 no longer resolves
      expect(calls).toEqual(['add shufflenetv2:2']) // but its session stays while its image runs
      runner.release()
      await accepted
      await reloading
      expect(calls).toEqual(['add shufflenetv2:2', 'remove shufflenetv2:1'])
      expect(batcher.inUse(v1.key)).toBe(0)
    } finally {
      repo.dispose()
    }
  })
})
