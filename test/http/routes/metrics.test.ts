import { describe, expect, test } from 'bun:test'
import { imageBytes, multipart } from '../../helpers/requests'
import { testApp } from '../../helpers/test-app'

describe('GET /metrics', () => {
  test('Prometheus text on our own registry: requests, stages, batches, models, queue gauges', async () => {
    const app = testApp()
    expect(
      (await app.request('/v1/predict', { method: 'POST', body: multipart([{ bytes: await imageBytes('chelsea.jpg') }]) })).status
    ).toBe(200)
    await app.afterResponses()
    const response = await app.request('/metrics')
    expect(response.headers.get('content-type')).toContain('text/plain')
    const text = await response.text()
    expect(text).toContain('bun_infer_http_requests_total{route="/v1/predict",method="POST",status="200"} 1')
    expect(text).toContain('bun_infer_model_info{model="mobilenetv2",version="1"} 1')
    expect(text).toContain('bun_infer_batch_size_count{model="mobilenetv2",version="1"} 1')
    for (const stage of ['decode_wait', 'preprocess', 'queue', 'inference', 'total'])
      expect(text).toContain(`bun_infer_stage_duration_seconds_count{model="mobilenetv2",version="1",stage="${stage}"} 1`)
    expect(text).toContain('bun_infer_queue_depth{model="mobilenetv2",version="1"} 0')
    expect(text).toContain('bun_infer_requests_in_flight 0')
  })
})
