import { describe, expect, test } from 'bun:test'
import { ERROR_CATALOGUE } from '../../src/errors'
import { HTTP_API_PAGE, TABLE_END, TABLE_START, withErrorTable } from '../../tools/docs/errors'
import { testApp } from '../helpers/test-app'

const page = await Bun.file(HTTP_API_PAGE).text()

describe('docs/http-api.md', () => {
  test('its error table is the render of the error catalogue (else: bun tools/docs/errors.ts)', () => {
    expect(page).toBe(withErrorTable(page))
  })

  test('documents every error code with its status', () => {
    for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) expect(page).toContain(`| ${status} | \`${code}\` |`)
  })

  test('lists every /v1, health and metrics route of the OpenAPI document (/v2 has its own page)', async () => {
    const spec = (await (await testApp().request('/openapi.json')).json()) as { paths: Record<string, object> }
    const routes = Object.entries(spec.paths)
      .filter(([path]) => !path.startsWith('/v2'))
      .flatMap(([path, item]) => Object.keys(item).map((method) => `| ${method.toUpperCase()} | \`${path}\` |`))
    expect(routes.length).toBeGreaterThan(8)
    for (const row of routes) expect(page).toContain(row)
  })

  test('a page without the markers is refused, not rewritten', () => {
    expect(() => withErrorTable('# no table here\n')).toThrow(TABLE_START)
    expect(() => withErrorTable(`${TABLE_END}\n${TABLE_START}\n`)).toThrow('in that order')
  })
})
