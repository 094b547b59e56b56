import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { otlpProcessor } from '../../src/tracing/tracing'
import { startCollector, type ReceivedExport } from '../helpers/otlp-collector'
import { imageBytes, multipart } from '../helpers/requests'
import { testApp, type TestApp } from '../helpers/test-app'

// A stand-in OTLP/HTTP collector on an ephemeral port: it only records what it is sent.
let collector: ReturnType<typeof startCollector>['server']
let received: ReceivedExport[]
let app: TestApp
beforeAll(async () => {
  ;({ server: collector, received } = startCollector())
  app = testApp({ spanProcessor: await otlpProcessor(`http://127.0.0.1:${collector.port}/v1/traces`) })
})
afterAll(async () => {
  collector?.stop(true)
})

describe('OTLP/HTTP export (BUN_INFER_OTLP_ENDPOINT)', () => {
  test('spans of a predict request reach the collector over real HTTP, at the latest at shutdown', async () => {
    const response = await app.request('/v1/predict', { method: 'POST', body: multipart([{ bytes: await imageBytes('chelsea.jpg') }]) })
    expect(response.status).toBe(200)
    const traceId = response.headers.get('traceparent')!.split('-')[1]!
    await app.afterResponses()
    await app.tracing!.shutdown() // flushes the batch span processor, as the server's stop() does
    const exported = received
      .filter((r) => r.path === '/v1/traces')
      .map((r) => r.body)
      .join('\n')
    expect(exported).toContain('POST /v1/predict')
    for (const stage of ['preprocess', 'queue', 'inference']) expect(exported).toContain(`"${stage}"`)
    expect(exported).toContain('bun-infer') // service.name
    expect(exported.toLowerCase()).toContain(traceId)
  })
})
