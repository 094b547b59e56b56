import { describe, expect, test } from 'bun:test'
import { testApp } from '../../helpers/test-app'

const app = testApp()

describe('docs', () => {
  test('the docs page and every asset it loads come from this server', async () => {
    const page = await app.request('/docs')
    expect(page.status).toBe(200)
    const html = await page.text()
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    expect(assets.length).toBeGreaterThan(0)
    for (const asset of assets) {
      expect(asset.startsWith('/')).toBe(true) // no CDN
      expect({ asset, status: (await app.request(asset)).status }).toEqual({ asset, status: 200 })
    }
    expect((await app.request('/docs/assets/package.json')).status).toBe(404) // only the listed files
  })

  test('the OpenAPI document describes the predict routes with both body types and their errors', async () => {
    const spec = (await (await app.request('/openapi.json')).json()) as any
    const predict = spec.paths['/v1/predict'].post
    expect(Object.keys(predict.requestBody.content)).toEqual(['multipart/form-data', 'application/json'])
    for (const status of ['200', '400', '413', '415', '422', '429', '503', '504']) expect(predict.responses[status]).toBeDefined()
    expect(spec.paths['/v1/models/{name}/predict']).toBeDefined()
    expect(spec.paths['/v1/models/{name}/versions/{version}/predict']).toBeDefined()
    expect(spec.info.description).toContain('queue_full')
  })
})
