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
      workers: 1
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

  test('a lone JPEG is decoded by its worker (counted), the same answer as sharp’s; a truncated one is declined there and refused as sharp refuses it', async () => {
    const start = (env: Record<string, string>) =>
      startServer(
        loadConfig(env, [], { port: 0, host: '127.0.0.1', workers: 1 }),
        createLogger('error', () => {})
      )
    const direct = await start({})
    const viaSharp = await start({ BUN_INFER_LONE_DECODE_ON_WORKER: 'false' })
    const chelsea = await imageBytes('chelsea.jpg')
    const ask = (port: number, bytes: Uint8Array) =>
      fetch(`http://127.0.0.1:${port}/v1/predict`, {
        method: 'POST',
        headers: { 'cache-control': 'no-store' },
        body: multipart([{ bytes }])
      })
    const decodes = async (port: number) => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
      return text.split('\n').filter((line) => line.startsWith('bun_infer_worker_decodes_total{'))
    }
    try {
      const [a, b] = await Promise.all([ask(direct.port, chelsea), ask(viaSharp.port, chelsea)])
      expect((await a.json()).predictions).toEqual((await b.json()).predictions)
      const truncated = await ask(direct.port, chelsea.slice(0, 6000))
      expect(truncated.status).toBe(400)
      expect((await truncated.json()).error.code).toBe('invalid_image')
      expect(await decodes(direct.port)).toEqual([
        'bun_infer_worker_decodes_total{model="mobilenetv2",version="1",outcome="ran"} 1',
        'bun_infer_worker_decodes_total{model="mobilenetv2",version="1",outcome="declined"} 1'
      ])
      expect(await decodes(viaSharp.port)).toEqual([])
    } finally {
      await Promise.all([direct.stop(), viaSharp.stop()])
    }
  }, 30_000)

  test('an unknown default model stops startup naming the setting', async () => {
    const config = loadConfig({ BUN_INFER_DEFAULT_MODEL: 'nope' }, [], { port: 0, host: '127.0.0.1' })
    await expect(
      startServer(
        config,
        createLogger('error', () => {})
      )
    ).rejects.toThrow(/BUN_INFER_DEFAULT_MODEL: no model "nope"/)
  })
})
