import { describe, expect, test } from 'bun:test'
import { loadConfig } from '../src/config/load'
import { createLogger } from '../src/log'
import { startServer } from '../src/server'
import { imageBytes, multipart } from './helpers/requests'

// The composition root in process: real workers and models behind a real socket, fault injection on.
describe('startServer', () => {
  test('serves, routes an armed fault to the pool, and drains on stop', async () => {
    const lines: string[] = []
    const config = loadConfig({ BUN_INFER_ENABLE_FAULT_INJECTION: 'true', BUN_INFER_MAX_CACHE_ENTRIES: '10' }, [], {
      port: 0,
      host: '127.0.0.1',
      workers: 1,
      dataDir: process.env.BUN_INFER_DATA_DIR // this test run's folder (test/setup.ts)
    })
    const server = await startServer(
      config,
      createLogger('info', (line) => lines.push(line))
    )
    const url = `http://127.0.0.1:${server.port}/v1/predict`
    const body = async () => multipart([{ bytes: await imageBytes('chelsea.jpg') }])
    try {
      expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['listening', 'ready'])
      expect((await fetch(url, { method: 'POST', body: await body() })).status).toBe(200)
      const crashed = await fetch(url, {
        method: 'POST',
        headers: { 'x-bun-infer-fault': 'crash', 'cache-control': 'no-store' },
        body: await body()
      })
      expect(crashed.status).toBe(503)
      expect(lines.some((l) => l.includes('worker lost; replacing it'))).toBe(true)
    } finally {
      expect(await server.stop()).toEqual({ drained: true })
    }
  }, 30_000)

  test('an unknown default model stops startup naming the setting', async () => {
    const config = loadConfig({ BUN_INFER_DEFAULT_MODEL: 'nope' }, [], { port: 0, host: '127.0.0.1', predictionLog: 'off' })
    await expect(
      startServer(
        config,
        createLogger('error', () => {})
      )
    ).rejects.toThrow(/BUN_INFER_DEFAULT_MODEL: no model "nope"/)
  })
})
