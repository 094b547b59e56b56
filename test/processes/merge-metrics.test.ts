import { describe, expect, test } from 'bun:test'
import { createMetrics } from '../../src/metrics/registry'
import { mergeMetrics } from '../../src/processes/merge-metrics'

/** The value of one series (its name and labels exactly as printed) in Prometheus text; undefined when absent. */
const series = (text: string, name: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return line === undefined ? undefined : Number(line.slice(name.length + 1))
}

/** One server process's metrics: `requests` predictions answered in 5 ms each, `queued` images waiting. */
async function processMetrics(requests: number, queued: number) {
  const versions = () => [{ model: 'mobilenetv2', version: '1', key: 'mobilenetv2:1' }]
  const metrics = createMetrics({ versions, queueDepth: () => queued })
  const labels = { route: '/v1/predict', method: 'POST', status: '200' }
  for (let i = 0; i < requests; i++) {
    metrics.httpRequests.inc(labels)
    metrics.httpDuration.observe(labels, 0.005)
  }
  return metrics.registry.getMetricsAsJSON()
}

describe("the container's /metrics, merged from every server process", () => {
  test('counters and histograms add up; gauges add up, or take the largest where a sum means nothing', async () => {
    const text = await mergeMetrics([await processMetrics(3, 2), await processMetrics(4, 5)], {
      configured: 2,
      ready: 2,
      scraped: 2,
      restarts: 1
    })
    const predict = 'route="/v1/predict",method="POST",status="200"'
    expect(series(text, `bun_infer_http_requests_total{${predict}}`)).toBe(7)
    expect(series(text, `bun_infer_http_request_duration_seconds_bucket{le="0.005",${predict}}`)).toBe(7)
    expect(series(text, `bun_infer_http_request_duration_seconds_bucket{le="0.0025",${predict}}`)).toBe(0)
    expect(series(text, `bun_infer_http_request_duration_seconds_count{${predict}}`)).toBe(7)
    expect(series(text, `bun_infer_http_request_duration_seconds_sum{${predict}}`)).toBeCloseTo(0.035, 9)
    expect(series(text, 'bun_infer_queue_depth{model="mobilenetv2",version="1"}')).toBe(7)
    expect(series(text, 'bun_infer_model_info{model="mobilenetv2",version="1"}')).toBe(1)
    expect(series(text, 'bun_infer_server_processes{state="scraped"}')).toBe(2)
    expect(series(text, 'bun_infer_server_processes{state="configured"}')).toBe(2)
    expect(series(text, 'bun_infer_server_processes{state="ready"}')).toBe(2)
    expect(series(text, 'bun_infer_server_process_restarts_total')).toBe(1)
    // Each metric once: a name printed twice is a scrape Prometheus rejects.
    const types = text.split('\n').filter((line) => line.startsWith('# TYPE '))
    expect(new Set(types).size).toBe(types.length)
  })

  test('without the supervisor (it did not answer): this process alone, and the scrape says so', async () => {
    const text = await mergeMetrics([await processMetrics(3, 2)])
    expect(series(text, 'bun_infer_http_requests_total{route="/v1/predict",method="POST",status="200"}')).toBe(3)
    expect(series(text, 'bun_infer_server_processes{state="scraped"}')).toBe(1)
    expect(series(text, 'bun_infer_server_processes{state="configured"}')).toBeUndefined()
  })
})
