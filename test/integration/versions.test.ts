import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cpSync } from 'node:fs'
import { join } from 'node:path'
import { tempModelRepo } from '../helpers/model-repo'
import { CAT_CLASSES, imageBytes, multipart, type ErrorJson, type PredictBody } from '../helpers/requests'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

// Version 2 of "mobilenetv2" is, for this test, the ShuffleNet graph: same interface, different answers,
// so which version answered shows in the scores as well as in model_version.
const repo = tempModelRepo((dir) => cpSync(join(dir, 'shufflenetv2/1'), join(dir, 'mobilenetv2/2'), { recursive: true }))
let server: ServerProcess
let cat: Uint8Array
beforeAll(async () => {
  server = await startServerProcess({ BUN_INFER_MODELS_DIR: repo.dir, BUN_INFER_WORKERS: '1' })
  cat = await imageBytes('chelsea.jpg')
})
afterAll(async () => {
  await server?.stop()
  repo.dispose()
})

const predict = async (path: string) => {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', body: multipart([{ bytes: cat }]) })
  return { status: response.status, body: (await response.json()) as PredictBody & ErrorJson }
}

describe('several versions of one model', () => {
  test('all are served; the highest is the default', async () => {
    const byDefault = await predict('/v1/predict')
    const v1 = await predict('/v1/models/mobilenetv2/versions/1/predict')
    const v2 = await predict('/v1/models/mobilenetv2/versions/2/predict')
    expect([byDefault.body.model_version, v1.body.model_version, v2.body.model_version]).toEqual(['2', '1', '2'])
    for (const r of [byDefault, v1, v2]) expect(CAT_CLASSES).toContain(r.body.predictions[0]![0]!.class_index)
    expect(byDefault.body.predictions).toEqual(v2.body.predictions)
    expect(v1.body.predictions[0]![0]!.score).not.toBeCloseTo(v2.body.predictions[0]![0]!.score, 2)
  })

  test('GET /v1/models/:name lists the versions; one version can be described', async () => {
    const model = (await (await fetch(`${server.url}/v1/models/mobilenetv2`)).json()) as { version: string; versions: string[] }
    expect(model).toMatchObject({ version: '2', versions: ['1', '2'] })
    const v1 = (await (await fetch(`${server.url}/v1/models/mobilenetv2/versions/1`)).json()) as { version: string }
    expect(v1.version).toBe('1')
  })

  test('an unknown version is 404 model_version_not_found', async () => {
    for (const version of ['3', 'latest', '0', '..%2F1']) {
      const { status, body } = await predict(`/v1/models/mobilenetv2/versions/${version}/predict`)
      expect({ version, status, code: body.error.code }).toEqual({ version, status: 404, code: 'model_version_not_found' })
    }
  })

  test('metrics carry the version', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text()
    expect(text).toContain('bun_infer_model_info{model="mobilenetv2",version="1"} 1')
    expect(text).toContain('bun_infer_model_info{model="mobilenetv2",version="2"} 1')
    expect(text).toMatch(/bun_infer_batch_size_count\{model="mobilenetv2",version="1"\} [1-9]/)
  })
})
