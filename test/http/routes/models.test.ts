import { afterAll, describe, expect, test } from 'bun:test'
import { cpSync } from 'node:fs'
import { join } from 'node:path'
import { editManifest, tempModelRepo } from '../../../tools/model-repo'
import { imageBytes, multipart, type ErrorJson, type PredictBody } from '../../helpers/requests'
import { testApp } from '../../helpers/test-app'

describe('GET /v1/models', () => {
  const app = testApp()

  test('lists both models with tensors, preprocessing and batching; the default is marked', async () => {
    const body = (await (await app.request('/v1/models')).json()) as { models: Array<Record<string, any>> }
    expect(body.models.map((m) => m.name)).toEqual(['mobilenetv2', 'mobilenetv2-uint8-nhwc', 'shufflenetv2'])
    const mobilenet = body.models[0]!
    expect(mobilenet.default).toBe(true)
    expect(body.models[1]!.default).toBe(false)
    expect(mobilenet.inputs[0]).toEqual({ name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224] })
    expect(mobilenet.outputs[0]).toMatchObject({ name: 'output', shape: [-1, 1000], kind: 'logits' })
    expect(mobilenet.batching).toEqual({ max_batch_size: 8, max_batch_delay_ms: 0, max_queue_images: 256 })
    expect(mobilenet.labels).toBe(1000)
  })

  test('says how many workers hold each model and the memory their sessions took; /metrics says the same', async () => {
    const body = (await (await app.request('/v1/models')).json()) as { models: Array<Record<string, any>> }
    // The shipped manifests: the default model on both workers, the others on one (placed by the pool's rule).
    expect(body.models.map((m) => [m.name, m.instances, m.memory_bytes])).toEqual([
      ['mobilenetv2', 2, 2_000_000],
      ['mobilenetv2-uint8-nhwc', 1, 1_000_000],
      ['shufflenetv2', 1, 1_000_000]
    ])
    const scrape = await (await app.request('/metrics')).text()
    expect(scrape).toContain('bun_infer_model_instances{model="shufflenetv2",version="1"} 1')
    expect(scrape).toContain('bun_infer_model_memory_bytes{model="mobilenetv2",version="1"} 2000000')
  })

  test('the per-version gauges follow the models loaded now (the repository extension adds and removes them)', async () => {
    const { pipeline, request } = testApp()
    const gauges = async () => (await (await request('/metrics')).text()).split('\n').filter((l) => l.startsWith('bun_infer_queue_depth{'))
    expect(await gauges()).toContain('bun_infer_queue_depth{model="shufflenetv2",version="1"} 0')
    const entry = pipeline.catalog.remove('shufflenetv2')!
    expect((await gauges()).join()).not.toContain('shufflenetv2')
    pipeline.catalog.add('shufflenetv2', entry)
    expect(await gauges()).toContain('bun_infer_queue_depth{model="shufflenetv2",version="1"} 0')
  })

  test('GET /v1/models/:name describes one model; unknown is 404 model_not_found', async () => {
    const one = (await (await app.request('/v1/models/shufflenetv2')).json()) as Record<string, any>
    expect(one.name).toBe('shufflenetv2')
    expect(one.preprocessing).toMatchObject({ resize_shorter_side: 256, crop: [224, 224] })
    const missing = await app.request('/v1/models/nope')
    expect(missing.status).toBe(404)
    expect(((await missing.json()) as ErrorJson).error.code).toBe('model_not_found')
  })

  test('each model says whether it can run now, as /v2/models/{name}/ready does', async () => {
    const app = testApp()
    const readiness = async () =>
      ((await (await app.request('/v1/models')).json()) as { models: Array<{ ready: boolean }> }).models.map((m) => m.ready)
    expect(await readiness()).toEqual([true, true, true])
    app.health.workers = false // a worker lost and not yet replaced
    expect(await readiness()).toEqual([false, false, false])
    expect((await app.request('/v2/models/mobilenetv2/ready')).status).not.toBe(200)
    app.health.workers = true
    await expect((await app.request('/v1/models/shufflenetv2')).json()).resolves.toMatchObject({ ready: true })
  })

  test('config caps batching for every model', async () => {
    const capped = testApp({ env: { BUN_INFER_MAX_BATCH_SIZE: '4', BUN_INFER_MAX_BATCH_DELAY_MS: '3' } })
    const model = (await (await capped.request('/v1/models/mobilenetv2')).json()) as Record<string, any>
    expect(model.batching).toMatchObject({ max_batch_size: 4, max_batch_delay_ms: 3 })
  })
})

describe('several versions of one model', () => {
  // Version 2 of "mobilenetv2" is a copy of the ShuffleNet graph: which version ran shows in the runner's record.
  const repo = tempModelRepo((dir) => cpSync(join(dir, 'shufflenetv2/1'), join(dir, 'mobilenetv2/2'), { recursive: true }))
  afterAll(() => repo.dispose())
  const app = testApp({ env: { BUN_INFER_MODELS_DIR: repo.dir } })
  const predict = async (path: string) => {
    const response = await app.request(path, { method: 'POST', body: multipart([{ bytes: await imageBytes('chelsea.jpg') }]) })
    return { status: response.status, body: (await response.json()) as PredictBody & ErrorJson }
  }

  test('all are served; the highest is the default', async () => {
    const byDefault = await predict('/v1/predict')
    const v1 = await predict('/v1/models/mobilenetv2/versions/1/predict')
    const v2 = await predict('/v1/models/mobilenetv2/versions/2/predict')
    expect([byDefault.body.model_version, v1.body.model_version, v2.body.model_version]).toEqual(['2', '1', '2'])
    expect(app.runner.batches.map((b) => b.model)).toEqual(['mobilenetv2:2', 'mobilenetv2:1', 'mobilenetv2:2'])
  })

  test('GET /v1/models/:name lists the versions; one version can be described', async () => {
    const model = (await (await app.request('/v1/models/mobilenetv2')).json()) as { version: string; versions: string[] }
    expect(model).toMatchObject({ version: '2', versions: ['1', '2'] })
    const v1 = (await (await app.request('/v1/models/mobilenetv2/versions/1')).json()) as { version: string }
    expect(v1.version).toBe('1')
  })

  test('an unknown version is 404 model_version_not_found', async () => {
    for (const version of ['3', 'latest', '0', '..%2F1']) {
      const { status, body } = await predict(`/v1/models/mobilenetv2/versions/${version}/predict`)
      expect({ version, status, code: body.error.code }).toEqual({ version, status: 404, code: 'model_version_not_found' })
      const described = await app.request(`/v1/models/mobilenetv2/versions/${version}`)
      expect(described.status).toBe(404)
    }
  })

  test('metrics carry the version', async () => {
    const text = await (await app.request('/metrics')).text()
    expect(text).toContain('bun_infer_model_info{model="mobilenetv2",version="1"} 1')
    expect(text).toContain('bun_infer_model_info{model="mobilenetv2",version="2"} 1')
    expect(text).toMatch(/bun_infer_batch_size_count\{model="mobilenetv2",version="1"\} [1-9]/)
  })

  test('a manifest that pins a version makes it the default', async () => {
    const pinned = tempModelRepo((dir) => {
      cpSync(join(dir, 'shufflenetv2/1'), join(dir, 'mobilenetv2/2'), { recursive: true })
      editManifest(dir, 'mobilenetv2', (m) => (m.version = 1))
    })
    try {
      const app = testApp({ env: { BUN_INFER_MODELS_DIR: pinned.dir } })
      const model = (await (await app.request('/v1/models/mobilenetv2')).json()) as { version: string }
      expect(model.version).toBe('1')
    } finally {
      pinned.dispose()
    }
  })
})
