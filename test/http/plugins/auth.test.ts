import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isExempt, keyMatcher } from '../../../src/http/plugins/auth'
import { imageBytes, multipart, type ErrorJson } from '../../helpers/requests'
import { testApp } from '../../helpers/test-app'

const ENV_KEY = 'env-key-0123456789abcdef'
const FILE_KEY = 'file-key-fedcba9876543210'
const dir = mkdtempSync(join(tmpdir(), 'bun-infer-keys-'))
const keysFile = join(dir, 'keys.txt')
writeFileSync(keysFile, `# one key per line\n${FILE_KEY}\n`)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const logs: string[] = []
const secured = testApp({ env: { BUN_INFER_API_KEYS: ENV_KEY, BUN_INFER_API_KEYS_FILE: keysFile, BUN_INFER_CORS_ORIGINS: '*' }, logs })
const cat = await imageBytes('chelsea.jpg')
const predict = (headers: Record<string, string> = {}) =>
  secured.request('/v1/predict', { method: 'POST', headers, body: multipart([{ bytes: cat }]) })

describe('API keys', () => {
  test('missing key: 401 unauthorized with WWW-Authenticate', async () => {
    const response = await predict()
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toContain('Bearer')
    expect(((await response.json()) as ErrorJson).error.code).toBe('unauthorized')
  })

  test('wrong key: 401, and the key is echoed nowhere', async () => {
    const wrong = 'wrong-key-0000000000000000'
    const response = await predict({ authorization: `Bearer ${wrong}` })
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toContain('invalid_token')
    expect(await response.text()).not.toContain(wrong)
    await secured.afterResponses()
    expect(logs.join('\n')).not.toContain(wrong)
  })

  test('a key from the env (Bearer) and one from the file (x-api-key) both work, and neither is logged', async () => {
    expect((await predict({ authorization: `Bearer ${ENV_KEY}` })).status).toBe(200)
    expect((await predict({ 'x-api-key': FILE_KEY })).status).toBe(200)
    await secured.afterResponses()
    expect(logs.length).toBeGreaterThan(0)
    expect(logs.join('\n')).not.toContain(ENV_KEY)
    expect(logs.join('\n')).not.toContain(FILE_KEY)
  })

  test('health (the /v2 probes KServe sends too), metrics and docs are exempt; models are not', async () => {
    for (const path of ['/health/live', '/health/ready', '/v2/health/live', '/v2/health/ready', '/metrics', '/docs', '/openapi.json'])
      expect({ path, status: (await secured.request(path)).status }).toEqual({ path, status: 200 })
    expect((await secured.request('/v1/models')).status).toBe(401)
    expect((await secured.request('/v2/models/mobilenetv2')).status).toBe(401)
  })

  test('"*" CORS: preflight answered without a key, and without credentials', async () => {
    const response = await secured.request('/v1/predict', {
      method: 'OPTIONS',
      headers: { origin: 'https://any.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' }
    })
    expect(response.status).toBeLessThan(300)
    expect(response.headers.get('access-control-allow-origin')).toBeTruthy()
    expect(response.headers.get('access-control-allow-credentials')).not.toBe('true')
  })

  test('a keys file with a short key stops startup naming the file', () => {
    const short = join(dir, 'short.txt')
    writeFileSync(short, 'too-short\n')
    expect(() => testApp({ env: { BUN_INFER_API_KEYS_FILE: short } })).toThrow(/short\.txt: every API key must be at least 16 characters/)
  })

  test('a keys file with no key (only comments and blank lines) stops startup instead of turning auth off', () => {
    const empty = join(dir, 'empty.txt')
    writeFileSync(empty, '# keys go here\n\n')
    expect(() => testApp({ env: { BUN_INFER_API_KEYS_FILE: empty } })).toThrow(/empty\.txt \(BUN_INFER_API_KEYS_FILE\) holds no API key/)
  })
})

describe('auth helpers', () => {
  test('keyMatcher accepts only exact keys', () => {
    const matches = keyMatcher(['alpha-key-0123456789', 'beta-key-0123456789'])
    expect(matches('alpha-key-0123456789')).toBe(true)
    expect(matches('beta-key-0123456789')).toBe(true)
    expect(matches('alpha-key-012345678')).toBe(false)
    expect(matches('')).toBe(false)
  })

  test('isExempt matches a prefix and what is below it, not look-alikes', () => {
    expect(isExempt('/docs', ['/docs'])).toBe(true)
    expect(isExempt('/docs/assets/x.js', ['/docs'])).toBe(true)
    expect(isExempt('/docsx', ['/docs'])).toBe(false)
    expect(isExempt('/v1/predict', ['/health', '/docs/'])).toBe(false)
  })
})
