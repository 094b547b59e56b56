import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cpSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { editManifest, tempModelRepo } from '../../tools/model-repo'
import { CAT_CLASSES, imageBytes, multipart, type PredictBody } from '../helpers/requests'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

// Poll mode on the real server: model folders copied into or removed from the repository while it runs.
const repo = tempModelRepo()
let server: ServerProcess
let cat: Uint8Array
beforeAll(async () => {
  server = await startServerProcess({ BUN_INFER_MODELS_DIR: repo.dir, BUN_INFER_REPOSITORY_POLL_MS: '100' })
  cat = await imageBytes('chelsea.jpg')
})
afterAll(async () => {
  expect(await server?.stop()).toBe(0)
  repo.dispose()
})

const names = async () =>
  ((await (await fetch(`${server.url}/v1/models`)).json()) as { models: Array<{ name: string }> }).models.map((m) => m.name)
/** Asks /v1/models until `done` holds (the poller acts within a few intervals); fails after 15 s. */
async function until(done: (models: string[]) => boolean): Promise<string[]> {
  const deadline = performance.now() + 15_000
  for (;;) {
    const models = await names()
    if (done(models) || performance.now() > deadline) return models
    await Bun.sleep(50)
  }
}

describe('BUN_INFER_REPOSITORY_POLL_MS', () => {
  test('a model folder copied in is loaded and serves; removed, it is unloaded (404)', async () => {
    cpSync(join(repo.dir, 'shufflenetv2'), join(repo.dir, 'extra'), { recursive: true })
    editManifest(repo.dir, 'extra', (m) => (m.name = 'extra'))
    expect(await until((models) => models.includes('extra'))).toContain('extra')
    const answer = await fetch(`${server.url}/v1/models/extra/predict`, { method: 'POST', body: multipart([{ bytes: cat }]) })
    expect(answer.status).toBe(200)
    expect(CAT_CLASSES).toContain(((await answer.json()) as PredictBody).predictions[0]![0]!.class_index)

    rmSync(join(repo.dir, 'extra'), { recursive: true })
    expect(await until((models) => !models.includes('extra'))).not.toContain('extra')
    const gone = await fetch(`${server.url}/v1/models/extra/predict`, { method: 'POST', body: multipart([{ bytes: cat }]) })
    expect(gone.status).toBe(404)
  }, 40_000)
})
