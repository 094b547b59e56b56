import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { requestLogLine } from '../helpers/log-lines'
import { startCollector, type ReceivedExport } from '../helpers/otlp-collector'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

// The standard OTEL_* variables alone (no BUN_INFER_OTLP_ENDPOINT) turn tracing on, against a stand-in collector.
let collector: ReturnType<typeof startCollector>['server']
let received: ReceivedExport[]
let server: ServerProcess
beforeAll(async () => {
  ;({ server: collector, received } = startCollector())
  server = await startServerProcess({
    BUN_INFER_WORKERS: '1',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`,
    OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-token=s3cret',
    OTEL_SERVICE_NAME: 'front-door-classifier'
  })
})
afterAll(async () => {
  await server?.stop()
  collector?.stop(true)
})

describe('OpenTelemetry standard environment', () => {
  test('spans go to $OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces with the headers and service name; log lines carry trace_id', async () => {
    const response = await fetch(`${server.url}/v1/models`, { headers: { 'x-request-id': 'otel-env-1' } })
    expect(response.status).toBe(200)
    const traceId = response.headers.get('traceparent')!.split('-')[1]!
    const line = await requestLogLine(server, 'otel-env-1')
    expect(line.trace_id).toBe(traceId)
    expect(await server.stop()).toBe(0) // shutdown flushes the batch span processor, and the log
    const exports = received.filter((r) => r.path === '/v1/traces')
    expect(exports.length).toBeGreaterThan(0)
    expect(exports.every((r) => r.headers.get('x-collector-token') === 's3cret')).toBe(true)
    const body = exports.map((r) => r.body).join('\n')
    expect(body).toContain('front-door-classifier')
    expect(body.toLowerCase()).toContain(traceId)
  })
})
