import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { imageBytes, multipart } from '../helpers/requests'
import { startCollector, type ReceivedExport } from '../helpers/otlp-collector'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

// A stand-in OTLP/HTTP collector on an ephemeral port: it only records what it is sent.
let collector: ReturnType<typeof startCollector>['server']
let received: ReceivedExport[]
let server: ServerProcess
beforeAll(async () => {
  ;({ server: collector, received } = startCollector())
  server = await startServerProcess({ BUN_INFER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}/v1/traces`, BUN_INFER_WORKERS: '1' })
})
afterAll(async () => {
  await server?.stop()
  collector?.stop(true)
})

describe('OTLP/HTTP export (BUN_INFER_OTLP_ENDPOINT)', () => {
  test('spans of a predict request reach the collector, at the latest when the server drains', async () => {
    const response = await fetch(`${server.url}/v1/predict`, { method: 'POST', body: multipart([{ bytes: await imageBytes('chelsea.jpg') }]) })
    expect(response.status).toBe(200)
    const traceId = response.headers.get('traceparent')!.split('-')[1]!
    expect(await server.stop()).toBe(0) // shutdown flushes the batch span processor
    const exported = received.filter((r) => r.path === '/v1/traces').map((r) => r.body).join('\n')
    expect(exported).toContain('POST /v1/predict')
    for (const stage of ['preprocess', 'queue', 'inference']) expect(exported).toContain(`"${stage}"`)
    expect(exported).toContain('bun-infer') // service.name
    expect(exported.toLowerCase()).toContain(traceId)
  })
})
