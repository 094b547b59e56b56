import { describe, expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { AppError } from '../../../src/errors'
import { errorPlugin } from '../../../src/http/plugins/errors'
import { repositoryRoutes } from '../../../src/http/routes/repository'
import { createLogger } from '../../../src/log'
import type { ModelRepository } from '../../../src/models/repository'

// The repository routes in process over a recording repository (the real one runs in test/models and test/e2e).
const ADMIN = 'admin-key-0123456789abcdef'
const calls: string[] = []
const repository = {
  index: () => [{ name: 'm', version: '1', state: 'READY', reason: '' }],
  load: async (name: string) => void calls.push(`load ${name}`),
  unload: async (name: string) => {
    if (name === 'default') throw new AppError('repository_refused', 'default stays')
    calls.push(`unload ${name}`)
  }
} as unknown as ModelRepository
const app = new Elysia().use(errorPlugin(createLogger('error', () => {}))).use(repositoryRoutes(repository, [ADMIN]))
const post = (path: string, key?: string) =>
  app.handle(
    new Request(`http://localhost/v2/repository${path}`, { method: 'POST', headers: key ? { authorization: `Bearer ${key}` } : {} })
  )

describe('repository routes', () => {
  test('an admin key is required: none or another key is 401 {"error"} with a challenge', async () => {
    for (const key of [undefined, 'not-the-admin-key-at-all']) {
      const response = await post('/index', key)
      expect(response.status).toBe(401)
      expect(response.headers.get('www-authenticate')).toContain('bun-infer-admin')
      expect(await response.json()).toEqual({ error: 'the repository extension needs an admin key' })
    }
    expect(calls).toEqual([])
  })

  test('index, load and unload answer 200 and reach the repository; its refusals are {"error"}', async () => {
    expect(await (await post('/index', ADMIN)).json()).toEqual([{ name: 'm', version: '1', state: 'READY', reason: '' }])
    expect((await post('/models/m/load', ADMIN)).status).toBe(200)
    expect((await post('/models/m/unload', ADMIN)).status).toBe(200)
    expect(calls).toEqual(['load m', 'unload m'])
    const refused = await post('/models/default/unload', ADMIN)
    expect(refused.status).toBe(400)
    expect(await refused.json()).toEqual({ error: 'default stays' })
  })

  test('enabled without admin keys, the server refuses to start', () => {
    expect(() => repositoryRoutes(repository, [])).toThrow('BUN_INFER_REPOSITORY_API needs BUN_INFER_ADMIN_KEYS')
  })
})
