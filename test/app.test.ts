import { describe, expect, test } from 'bun:test'
import { testApp } from './helpers/test-app'

const open = testApp({ env: { BUN_INFER_CORS_ORIGINS: 'https://app.example, https://admin.example' } })
const closed = testApp()

const preflight = (app: typeof open, origin: string) =>
  app.request('/v1/predict', {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' }
  })

describe('CORS from the configured origin list', () => {
  test('a listed origin gets its preflight answered and its requests allowed', async () => {
    const response = await preflight(open, 'https://app.example')
    expect(response.status).toBeLessThan(300)
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(response.headers.get('access-control-allow-methods') ?? '').toMatch(/POST|\*/)
    const get = await open.request('/v1/models', { headers: { origin: 'https://admin.example' } })
    expect(get.headers.get('access-control-allow-origin')).toBe('https://admin.example')
  })

  test('a page may send and read the headers the API uses, whatever the preflight asked', async () => {
    const bare = await open.request('/v1/predict', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' }
    })
    const allowed = (bare.headers.get('access-control-allow-headers') ?? '').split(/,\s*/)
    for (const header of ['content-type', 'authorization', 'x-api-key', 'x-request-timeout-ms']) expect(allowed).toContain(header)
    const answer = await open.request('/v1/models', { headers: { origin: 'https://app.example', 'x-custom': '1' } })
    const exposed = (answer.headers.get('access-control-expose-headers') ?? '').split(/,\s*/)
    for (const header of ['x-request-id', 'retry-after', 'server-timing']) expect(exposed).toContain(header)
    expect(exposed).not.toContain('x-custom')
  })

  test('an unlisted origin gets no allow header', async () => {
    const response = await open.request('/v1/models', { headers: { origin: 'https://evil.example' } })
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
  })

  test('with no origins configured there are no CORS headers at all', async () => {
    const response = await closed.request('/v1/models', { headers: { origin: 'https://app.example' } })
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('request ids', () => {
  test('a sane incoming x-request-id is kept; anything else is replaced by a fresh one', async () => {
    expect((await closed.request('/health/live', { headers: { 'x-request-id': 'abc-123' } })).headers.get('x-request-id')).toBe('abc-123')
    const replaced = (await closed.request('/health/live', { headers: { 'x-request-id': 'has spaces' } })).headers.get('x-request-id')
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('draining', () => {
  test('answers close their connection while draining; a new predict gets 503 draining', async () => {
    const app = testApp()
    app.lifecycle.state = 'draining'
    const response = await app.request('/v1/predict', { method: 'POST', body: new FormData() })
    expect(response.status).toBe(503)
    expect(response.headers.get('connection')).toBe('close')
    expect(response.headers.get('retry-after')).toBe('1')
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('draining')
  })
})
