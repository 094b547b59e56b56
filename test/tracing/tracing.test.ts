import { describe, expect, test } from 'bun:test'
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace'
import { imageBytes, multipart } from '../helpers/requests'
import { testApp } from '../helpers/test-app'

// In process, so the test can read the spans: the real app with an in-memory exporter.
const exporter = new InMemorySpanExporter()
const app = testApp({ spanProcessor: new SimpleSpanProcessor({ exporter }) })

/** The request span ends after the response is sent (onAfterResponse, on setImmediate). */
async function spansOnceEnded() {
  await app.afterResponses()
  return exporter.getFinishedSpans()
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT_ID = '00f067aa0ba902b7'

describe('OpenTelemetry tracing', () => {
  test('a predict request: server span under the incoming traceparent, with preprocess/queue/inference children', async () => {
    exporter.reset()
    const response = await app.request('/v1/predict', {
      method: 'POST',
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
      body: multipart([{ bytes: await imageBytes('chelsea.jpg') }])
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('traceparent')).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`))
    const spans = await spansOnceEnded()
    const root = spans.find((s) => s.name === 'POST /v1/predict')!
    expect(root).toBeDefined()
    expect(root.spanContext().traceId).toBe(TRACE_ID)
    expect(root.parentSpanContext?.spanId).toBe(PARENT_ID)
    expect(root.attributes['http.response.status_code']).toBe(200)
    expect(root.attributes['bun_infer.model']).toBe('mobilenetv2')
    const children = spans.filter((s) => s.parentSpanContext?.spanId === root.spanContext().spanId)
    expect(children.map((s) => s.name).sort()).toEqual(['decode_wait', 'inference', 'preprocess', 'queue'])
    const inference = children.find((s) => s.name === 'inference')!
    expect(inference.duration[0] * 1e3 + inference.duration[1] / 1e6).toBeGreaterThan(0)
  })

  test('without a traceparent a new trace starts; errors are spans too', async () => {
    exporter.reset()
    const response = await app.request('/v1/models/nope')
    expect(response.status).toBe(404)
    const [span] = await spansOnceEnded()
    expect(span!.spanContext().traceId).not.toBe(TRACE_ID)
    expect(span!.attributes['http.response.status_code']).toBe(404)
  })

  test('tracing shutdown ends a request span still open, so it is exported', async () => {
    const ended: string[] = []
    const recorder = {
      onStart() {},
      onEnd: (span: { name: string }) => void ended.push(span.name),
      forceFlush: async () => {},
      shutdown: async () => {}
    }
    const own = testApp({ spanProcessor: recorder })
    own.tracing!.start(new Request('http://localhost/v1/models'), '/v1/models')
    await own.tracing!.shutdown()
    expect(ended).toEqual(['GET /v1/models'])
  })
})

describe('OpenTelemetry tracing on /v2', () => {
  test('an infer request gets the same preprocess/queue/inference children, and Server-Timing', async () => {
    exporter.reset()
    const image = Buffer.from(await imageBytes('chelsea.jpg')).toString('base64')
    const response = await app.request('/v2/models/mobilenetv2/infer', {
      method: 'POST',
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
      body: JSON.stringify({
        inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [image] }],
        outputs: [{ name: 'output', parameters: { classification: 1 } }]
      })
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('server-timing')).toMatch(
      /decode-wait;dur=[\d.]+, preprocess;dur=[\d.]+, queue;dur=[\d.]+, inference;dur=[\d.]+, total;dur=[\d.]+/
    )
    const spans = await spansOnceEnded()
    const root = spans.find((s) => s.name === 'POST /v2/models/mobilenetv2/infer')!
    expect(root.attributes['bun_infer.model']).toBe('mobilenetv2')
    const children = spans.filter((s) => s.parentSpanContext?.spanId === root.spanContext().spanId)
    expect(children.map((s) => s.name).sort()).toEqual(['decode_wait', 'inference', 'preprocess', 'queue'])
  })
})
