import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Server } from 'bun'
import { requestLogLine } from '../helpers/log-lines'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

// The standard OTEL_* variables alone (no BUN_INFER_OTLP_ENDPOINT) turn tracing on, against a stand-in collector.
const received: Array<{ path: string; token: string | null; body: string }> = []
let collector: Server<unknown>
let server: ServerProcess
beforeAll(async () => {
  collector = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      received.push({ path: new URL(request.url).pathname, token: request.headers.get('x-collector-token'), body: await request.text() })
      return Response.json({})
    }
  })
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
    expect(exports.every((r) => r.token === 's3cret')).toBe(true)
    const body = exports.map((r) => r.body).join('\n')
    expect(body).toContain('front-door-classifier')
    expect(body.toLowerCase()).toContain(traceId)
  })
})
