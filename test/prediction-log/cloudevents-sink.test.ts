import { afterAll, describe, expect, test } from 'bun:test'
import { type CloudEventV1, HTTP } from 'cloudevents'
import { CloudEventsSink, REQUEST_EVENT, RESPONSE_EVENT } from '../../src/prediction-log/cloudevents-sink'
import { imageBytes, multipart, type PredictBody } from '../helpers/requests'
import { testApp } from '../helpers/test-app'

// A KServe-style log consumer on loopback: it parses every POST as a CloudEvent, as a consumer would, and can be
// told to fail.
const received: Array<{ event: CloudEventV1<Record<string, unknown>>; bytes: number }> = []
let failWith = 0
const receiver = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(request) {
    const body = await request.text()
    if (failWith) return new Response('no', { status: failWith })
    const event = HTTP.toEvent({ headers: Object.fromEntries(request.headers), body }) as CloudEventV1<Record<string, unknown>>
    received.push({ event, bytes: body.length })
    return new Response(null, { status: 202 })
  }
})
afterAll(() => receiver.stop(true))

const sink = new CloudEventsSink({ url: `http://127.0.0.1:${receiver.port}/`, source: '/bun-infer/test', namespace: 'staging' })
const app = testApp({ events: sink })
const [cat, coffee] = await Promise.all([imageBytes('chelsea.jpg'), imageBytes('coffee.png')])

describe('prediction events in KServe logger format', () => {
  test('each image answered: a request and a response CloudEvent, with its labels and digest, never the image', async () => {
    const response = await app.request('/v1/predict', { method: 'POST', body: multipart([{ bytes: cat }, { bytes: coffee }]) })
    const body = (await response.json()) as PredictBody
    await sink.drain(5_000)
    expect(received).toHaveLength(4)
    const id = body.metadata.request_id
    const byKey = new Map(received.map(({ event }) => [`${event.type} ${event.id}`, event]))
    for (const [i, bytes] of [cat, coffee].entries()) {
      const request = byKey.get(`${REQUEST_EVENT} ${id}/${i}`)!
      const answer = byKey.get(`${RESPONSE_EVENT} ${id}/${i}`)!
      expect(request.source).toBe('/bun-infer/test')
      expect([request.inferenceservicename, request.namespace, request.endpoint]).toEqual(['mobilenetv2', 'staging', 'v1'])
      const sha = new Bun.CryptoHasher('sha256').update(bytes).digest('hex')
      expect((request.data!.parameters as { image_sha256: string }).image_sha256).toBe(sha)
      const [output] = answer.data!.outputs as Array<{ datatype: string; data: string[] }>
      expect(output!.datatype).toBe('BYTES')
      expect(output!.data.map((s) => s.split(':').slice(2).join(':'))).toEqual(body.predictions[i]!.slice(0, 5).map((p) => p.label))
    }
    for (const { bytes } of received) expect(bytes).toBeLessThan(2_000) // a 34 KB photo is never in it
    expect(sink.counts).toEqual({ sent: 4, dropped: { queue_full: 0, send_error: 0 } })
  })

  test('a receiver that fails costs events, counted, never a request; sending resumes when it answers', async () => {
    failWith = 503
    const refused = await app.request('/v1/predict', { method: 'POST', body: multipart([{ bytes: cat }]) })
    expect(refused.status).toBe(200)
    await sink.drain(5_000)
    expect(sink.counts.dropped.send_error).toBe(2)
    failWith = 0
    await app.request('/v1/predict', { method: 'POST', body: multipart([{ bytes: cat }]) })
    await sink.drain(5_000)
    expect(sink.counts.sent).toBe(6)
    const metrics = await (await app.request('/metrics')).text()
    expect(metrics).toContain('bun_infer_prediction_events_total{outcome="dropped_send_error"} 2')
  })
})
