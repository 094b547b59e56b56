import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { loadConfig } from '../../src/config/load'
import { createLogger } from '../../src/log'
import { startServer, type RunningServer } from '../../src/server'
import { startCollector, type ReceivedExport } from '../helpers/otlp-collector'

// The standard OTEL_* variables alone (no BUN_INFER_OTLP_ENDPOINT) turn tracing on: the real server, in
// process, read from that environment, against a stand-in collector.
let collector: ReturnType<typeof startCollector>['server']
let received: ReceivedExport[]
let server: RunningServer
const logs: string[] = []
beforeAll(async () => {
  ;({ server: collector, received } = startCollector())
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`,
    OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-token=s3cret',
    OTEL_SERVICE_NAME: 'front-door-classifier'
  }
  const config = loadConfig(env, [], { port: 0, host: '127.0.0.1', workers: 1, logLevel: 'info', predictionLog: 'off' })
  server = await startServer(
    config,
    createLogger('info', (line) => logs.push(line))
  )
})
afterAll(() => {
  collector?.stop(true)
})

describe('OpenTelemetry standard environment', () => {
  test('spans go to $OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces with the headers and service name; log lines carry trace_id', async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/v1/models`, { headers: { 'x-request-id': 'otel-env-1' } })
    expect(response.status).toBe(200)
    const traceId = response.headers.get('traceparent')!.split('-')[1]!
    await server.stop() // drains, then flushes the batch span processor; the request's log line is written by then
    const exports = received.filter((r) => r.path === '/v1/traces')
    expect(exports.length).toBeGreaterThan(0)
    expect(exports.every((r) => r.headers.get('x-collector-token') === 's3cret')).toBe(true)
    const body = exports.map((r) => r.body).join('\n')
    expect(body).toContain('front-door-classifier')
    expect(body.toLowerCase()).toContain(traceId)
    const line = logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'request' && l.request_id === 'otel-env-1')
    expect(line?.trace_id).toBe(traceId)
  })
})
