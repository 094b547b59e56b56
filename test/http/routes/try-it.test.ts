import { describe, expect, test } from 'bun:test'
import { isExempt } from '../../../src/http/plugins/auth'
import { imageBytes, multipart } from '../../helpers/requests'
import { testApp } from '../../helpers/test-app'

// API keys on: the page and its files are public by default, predicting from it is not.
const KEY = 'try-it-test-key-0123456789'
const app = testApp({ env: { BUN_INFER_API_KEYS: KEY } })

describe('the try-it page at /', () => {
  test('the page, its CSS and JS, and the sample photos are served without a key, with their types', async () => {
    const expected: Array<[string, string]> = [
      ['/', 'text/html'],
      ['/try-it/try-it.css', 'text/css'],
      ['/try-it/try-it.js', 'text/javascript'],
      ['/samples/chelsea.jpg', 'image/jpeg'],
      ['/samples/rocket.jpg', 'image/jpeg']
    ]
    for (const [path, type] of expected) {
      const response = await app.request(path)
      expect(response.status, path).toBe(200)
      expect(response.headers.get('content-type'), path).toStartWith(type)
      expect((await response.arrayBuffer()).byteLength, path).toBeGreaterThan(100)
    }
    const page = await (await app.request('/')).text()
    for (const asset of page.matchAll(/(?:href|src)="(\/[^"]+)"/g)) expect((await app.request(asset[1]!)).status, asset[1]).toBe(200)
  })

  test('only the listed files: anything else under /try-it or /samples is 404', async () => {
    for (const path of [
      '/try-it/constructor',
      '/try-it/index.html',
      '/samples/coffee.png',
      '/samples/..%2F..%2F..%2Fpackage.json',
      '/try-it/..%2Froutes%2Ftry-it.ts'
    ])
      expect((await app.request(path)).status, path).toBe(404)
  })

  test('predicting still needs the key; with it, the sample photo classifies', async () => {
    expect((await app.request('/v1/predict', { method: 'POST', body: multipart([{ bytes: new Uint8Array(1) }]) })).status).toBe(401)
    expect((await app.request('/v1/models')).status).toBe(401)
    const sample = new Uint8Array(await (await app.request('/samples/chelsea.jpg')).arrayBuffer())
    expect(Buffer.from(sample).equals(Buffer.from(await imageBytes('chelsea.jpg')))).toBe(true)
    const response = await app.request('/v1/predict', {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: multipart([{ bytes: sample }])
    })
    expect(response.status).toBe(200)
  })

  test('"/" as an exempt prefix covers the page alone, not every path', () => {
    expect(isExempt('/', ['/'])).toBe(true)
    expect(isExempt('/v1/predict', ['/'])).toBe(false)
    expect(isExempt('/v1/models', ['/', '/try-it'])).toBe(false)
  })
})
