import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { imageBytes, multipart, type ErrorJson } from '../helpers/requests'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

const ENV_KEY = 'env-key-0123456789abcdef'
const FILE_KEY = 'file-key-fedcba9876543210'
const dir = mkdtempSync(join(tmpdir(), 'bun-infer-keys-'))
const keysFile = join(dir, 'keys.txt')
writeFileSync(keysFile, `# one key per line\n${FILE_KEY}\n`)

let secured: ServerProcess
let limited: ServerProcess
let cat: Uint8Array
beforeAll(async () => {
  ;[secured, limited] = await Promise.all([
    startServerProcess({ BUN_INFER_API_KEYS: ENV_KEY, BUN_INFER_API_KEYS_FILE: keysFile, BUN_INFER_WORKERS: '1', BUN_INFER_CORS_ORIGINS: '*' }),
    startServerProcess({ BUN_INFER_RATE_LIMIT_PER_SECOND: '0.5', BUN_INFER_RATE_LIMIT_BURST: '2', BUN_INFER_WORKERS: '1' })
  ])
  cat = await imageBytes('chelsea.jpg')
})
afterAll(async () => {
  await Promise.all([secured?.stop(), limited?.stop()])
  rmSync(dir, { recursive: true, force: true })
})

const predict = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/predict`, { method: 'POST', headers, body: multipart([{ bytes: cat }]) })

describe('API keys', () => {
  test('missing key: 401 unauthorized with WWW-Authenticate', async () => {
    const response = await predict(secured.url)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toContain('Bearer')
    expect(((await response.json()) as ErrorJson).error.code).toBe('unauthorized')
  })

  test('wrong key: 401, and the key is echoed nowhere', async () => {
    const wrong = 'wrong-key-0000000000000000'
    const response = await predict(secured.url, { authorization: `Bearer ${wrong}` })
    expect(response.status).toBe(401)
    expect(await response.text()).not.toContain(wrong)
    expect(secured.logs.join('\n')).not.toContain(wrong)
  })

  test('a key from the env (Bearer) and one from the file (x-api-key) both work', async () => {
    expect((await predict(secured.url, { authorization: `Bearer ${ENV_KEY}` })).status).toBe(200)
    expect((await predict(secured.url, { 'x-api-key': FILE_KEY })).status).toBe(200)
    expect(secured.logs.join('\n')).not.toContain(ENV_KEY)
    expect(secured.logs.join('\n')).not.toContain(FILE_KEY)
  })

  test('health, metrics and docs are exempt; models are not', async () => {
    for (const path of ['/health/live', '/health/ready', '/metrics', '/docs', '/openapi.json'])
      expect({ path, status: (await fetch(secured.url + path)).status }).toEqual({ path, status: 200 })
    expect((await fetch(`${secured.url}/v1/models`)).status).toBe(401)
  })

  test('"*" CORS: preflight answered without a key, and without credentials', async () => {
    const response = await fetch(`${secured.url}/v1/predict`, {
      method: 'OPTIONS',
      headers: { origin: 'https://any.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' }
    })
    expect(response.status).toBeLessThan(300)
    expect(response.headers.get('access-control-allow-origin')).toBeTruthy()
    expect(response.headers.get('access-control-allow-credentials')).not.toBe('true')
  })
})

describe('per-client rate limit', () => {
  test('beyond the burst: 429 rate_limited with Retry-After; health stays open', async () => {
    const statuses: number[] = []
    let limitedResponse: Response | undefined
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${limited.url}/v1/models`)
      statuses.push(response.status)
      if (response.status === 429) limitedResponse = response
    }
    expect(statuses.slice(0, 2)).toEqual([200, 200])
    expect(statuses.slice(2)).toEqual([429, 429])
    expect(Number(limitedResponse!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(((await limitedResponse!.json()) as ErrorJson).error.code).toBe('rate_limited')
    expect((await fetch(`${limited.url}/health/ready`)).status).toBe(200)
  })

  test('another API key is another client', async () => {
    const response = await fetch(`${limited.url}/v1/models`, { headers: { 'x-api-key': 'some-other-client-key-123' } })
    expect(response.status).toBe(200)
  })
})
