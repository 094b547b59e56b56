import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

let open: ServerProcess
let closed: ServerProcess
beforeAll(async () => {
  ;[open, closed] = await Promise.all([
    startServerProcess({ BUN_INFER_CORS_ORIGINS: 'https://app.example, https://admin.example', BUN_INFER_WORKERS: '1' }),
    startServerProcess({ BUN_INFER_WORKERS: '1' })
  ])
})
afterAll(async () => {
  await Promise.all([open?.stop(), closed?.stop()])
})

const preflight = (url: string, origin: string) =>
  fetch(`${url}/v1/predict`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' }
  })

describe('CORS from the configured origin list', () => {
  test('a listed origin gets its preflight answered and its requests allowed', async () => {
    const response = await preflight(open.url, 'https://app.example')
    expect(response.status).toBeLessThan(300)
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(response.headers.get('access-control-allow-methods') ?? '').toMatch(/POST|\*/)
    const get = await fetch(`${open.url}/v1/models`, { headers: { origin: 'https://admin.example' } })
    expect(get.headers.get('access-control-allow-origin')).toBe('https://admin.example')
  })

  test('an unlisted origin gets no allow header', async () => {
    const response = await fetch(`${open.url}/v1/models`, { headers: { origin: 'https://evil.example' } })
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
  })

  test('with no origins configured there are no CORS headers at all', async () => {
    const response = await fetch(`${closed.url}/v1/models`, { headers: { origin: 'https://app.example' } })
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
  })
})
