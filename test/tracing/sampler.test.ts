import { describe, expect, test } from 'bun:test'
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace'
import type { Config } from '../../src/config/schema'
import { samplerFrom } from '../../src/tracing/sampler'
import { createTracing, parseOtlpHeaders } from '../../src/tracing/tracing'

/** Spans exported for one request with the named sampler, and its service.name. */
async function traceOneRequest(sampler: Config['tracesSampler'], ratio: number, headers: Record<string, string> = {}) {
  const exporter = new InMemorySpanExporter()
  const tracing = createTracing(new SimpleSpanProcessor({ exporter }), '0.0.0', {
    serviceName: 'classifier',
    sampler: samplerFrom(sampler, ratio)
  })
  const request = new Request('http://localhost/v1/predict', { headers })
  const traceparent = tracing.start(request, '/v1/predict')
  const traceId = tracing.traceId(request)
  tracing.end(request, 200, '/v1/predict')
  const spans = exporter.getFinishedSpans() // read before shutdown, which empties the in-memory exporter
  await tracing.shutdown()
  return { spans, traceparent, traceId }
}

describe('OTEL_TRACES_SAMPLER', () => {
  test('always_on records the request span under OTEL_SERVICE_NAME; trace_id is the traceparent one', async () => {
    const { spans, traceparent, traceId } = await traceOneRequest('always_on', 1)
    expect(spans).toHaveLength(1)
    expect(spans[0]!.resource.attributes['service.name']).toBe('classifier')
    expect(traceparent).toContain(`-${traceId}-`)
  })

  test('always_off and traceidratio 0 record nothing, but the request still has a trace id', async () => {
    for (const [name, ratio] of [
      ['always_off', 1],
      ['traceidratio', 0]
    ] as const) {
      const { spans, traceId } = await traceOneRequest(name, ratio)
      expect(spans, name).toHaveLength(0)
      expect(traceId).toMatch(/^[0-9a-f]{32}$/)
    }
  })

  test('parentbased_always_off follows a sampled parent', async () => {
    const parent = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }
    expect((await traceOneRequest('parentbased_always_off', 1, parent)).spans).toHaveLength(1)
    expect((await traceOneRequest('parentbased_always_off', 1)).spans).toHaveLength(0)
  })
})

describe('OTEL_EXPORTER_OTLP_HEADERS', () => {
  test('key=value pairs, comma-separated, values percent-decoded', () => {
    expect(parseOtlpHeaders('x-token=abc, authorization=Basic%20dXNlcg==,broken')).toEqual({
      'x-token': 'abc',
      authorization: 'Basic dXNlcg=='
    })
    expect(parseOtlpHeaders('')).toEqual({})
  })
})
