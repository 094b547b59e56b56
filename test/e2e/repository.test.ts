import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cpSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { tempModelRepo } from '../../tools/model-repo'
import { CAT_CLASSES, imageBytes, multipart, type PredictBody } from '../helpers/requests'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'
import { testApp } from '../helpers/test-app'

// The repository extension on the real server: real sessions loaded and freed on real workers.
const ADMIN = 'admin-key-0123456789abcdef'
const INFERENCE = 'inference-key-0123456789'
// A copy of the repository, so a test can add and remove version folders while the server runs.
const repo = tempModelRepo()
let server: ServerProcess
let cat: Uint8Array
beforeAll(async () => {
  server = await startServerProcess({
    BUN_INFER_MODELS_DIR: repo.dir,
    BUN_INFER_REPOSITORY_API: 'true',
    BUN_INFER_ADMIN_KEYS: ADMIN,
    BUN_INFER_API_KEYS: INFERENCE
  })
  cat = await imageBytes('chelsea.jpg')
})
afterAll(async () => {
  expect(await server?.stop()).toBe(0)
  repo.dispose()
})

const admin = (path: string, key = ADMIN) =>
  fetch(`${server.url}/v2/repository${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}` } })
const predict = (model: string) =>
  fetch(`${server.url}/v1/models/${model}/predict`, {
    method: 'POST',
    headers: { 'x-api-key': INFERENCE },
    body: multipart([{ bytes: cat }])
  })
const index = async () => (await (await admin('/index')).json()) as Array<{ name: string; version?: string; state: string; reason: string }>

describe('repository extension', () => {
  test('only an admin key opens it: none or an inference key is 401 {"error"}', async () => {
    for (const key of ['', INFERENCE]) {
      const response = await admin('/index', key)
      expect(response.status).toBe(401)
      expect(Object.keys((await response.json()) as object)).toEqual(['error'])
    }
    expect(await index()).toEqual([
      { name: 'mobilenetv2', version: '1', state: 'READY', reason: '' },
      { name: 'mobilenetv2-uint8-nhwc', version: '1', state: 'READY', reason: '' },
      { name: 'shufflenetv2', version: '1', state: 'READY', reason: '' }
    ])
  })

  test('unload under traffic: accepted requests finish, later ones get 404, the sessions go; load serves it again', async () => {
    // Requests accepted before the unload must all be answered; none may fail with a 5xx.
    const inFlight = Array.from({ length: 8 }, () => predict('shufflenetv2'))
    const unloaded = await admin('/models/shufflenetv2/unload')
    expect(unloaded.status).toBe(200)
    const statuses = (await Promise.all(inFlight)).map((r) => r.status)
    expect(statuses.every((s) => s === 200 || s === 404)).toBe(true)
    expect(statuses).toContain(200)
    expect((await predict('shufflenetv2')).status).toBe(404)
    expect((await fetch(`${server.url}/v2/models/shufflenetv2/ready`, { headers: { 'x-api-key': INFERENCE } })).status).toBe(404)
    expect((await index()).find((e) => e.name === 'shufflenetv2')).toEqual({
      name: 'shufflenetv2',
      state: 'UNAVAILABLE',
      reason: 'unloaded'
    })

    expect((await admin('/models/shufflenetv2/load')).status).toBe(200)
    const again = await predict('shufflenetv2')
    expect(again.status).toBe(200)
    expect(CAT_CLASSES).toContain(((await again.json()) as PredictBody).predictions[0]![0]!.class_index)
    expect((await fetch(`${server.url}/v2/models/shufflenetv2/ready`, { headers: { 'x-api-key': INFERENCE } })).status).toBe(200)
  })

  test('names are validated: nothing outside the models directory loads; the default model stays', async () => {
    for (const name of ['..%2F..%2Fetc', '%2Ftmp', 'nope', '..']) {
      const response = await admin(`/models/${name}/load`)
      expect({ name, status: response.status }).toEqual({ name, status: 404 })
    }
    const refused = await admin('/models/mobilenetv2/unload')
    expect(refused.status).toBe(400)
    expect(((await refused.json()) as { error: string }).error).toContain('default model')
    expect((await predict('mobilenetv2')).status).toBe(200)
  })
})

test('hot reload under traffic: a new version folder becomes the default, a removed one drains; no request fails', async () => {
  const answers: Array<{ version: string; sentAt: number }> = []
  const failures: number[] = []
  let running = true
  const loops = Array.from({ length: 4 }, async () => {
    while (running) {
      const sentAt = performance.now()
      const response = await predict('shufflenetv2')
      if (response.status !== 200) failures.push(response.status)
      else answers.push({ version: ((await response.json()) as PredictBody).model_version, sentAt })
    }
  })
  /** Waits (a condition) for an answer from `version` to a request sent after `since`. */
  const seen = async (version: string, since: number) => {
    while (!answers.some((a) => a.version === version && a.sentAt > since)) await Bun.sleep(5)
  }
  await seen('1', 0)
  cpSync(join(repo.dir, 'shufflenetv2/1'), join(repo.dir, 'shufflenetv2/2'), { recursive: true })
  expect((await admin('/models/shufflenetv2/load')).status).toBe(200)
  const switched = performance.now()
  await seen('2', switched)
  rmSync(join(repo.dir, 'shufflenetv2/1'), { recursive: true })
  expect((await admin('/models/shufflenetv2/load')).status).toBe(200)
  const removed = performance.now()
  await seen('2', removed)
  running = false
  await Promise.all(loops)
  expect(failures).toEqual([])
  // Every request sent after a reload returned was answered by the folder's newest version.
  expect(answers.filter((a) => a.sentAt > switched).every((a) => a.version === '2')).toBe(true)
  expect((await index()).filter((e) => e.name === 'shufflenetv2')).toEqual([
    { name: 'shufflenetv2', version: '2', state: 'READY', reason: '' }
  ])
}, 60_000)

test('off by default: the repository routes do not exist', async () => {
  expect((await testApp().request('/v2/repository/index', { method: 'POST' })).status).toBe(404)
})
