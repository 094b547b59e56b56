/**
 * What metrics and (disabled) tracing cost per request, against what a request costs in all.
 * Times the exact observations the server makes for one single-image predict request (HTTP counter and
 * histogram, four stage histograms, the batch-size histogram) on a registry like the server's, and a
 * scrape, then divides by the server's CPU per image from the latest bench run.
 *
 *   bun bench/micro/metrics-cost.ts [--iterations N] [--cpu-ms-per-image X]
 */
import { parseArgs } from 'node:util'
import { createMetrics } from '../../src/metrics/registry'
import type { Tracing } from '../../src/tracing/tracing'

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { iterations: { type: 'string', default: '200000' }, 'cpu-ms-per-image': { type: 'string', default: '7.9' } }
})
const iterations = Number(values.iterations)
const cpuMsPerImage = Number(values['cpu-ms-per-image'])

const metrics = createMetrics({ versions: () => [{ model: 'mobilenetv2', version: '1', key: 'mobilenetv2:1' }], queueDepth: () => 3 })
const labels = { route: '/v1/predict', method: 'POST', status: '200' }
const model = { model: 'mobilenetv2', version: '1' }

function perRequest(): void {
  metrics.httpRequests.inc(labels)
  metrics.httpDuration.observe(labels, 0.012)
  for (const stage of ['preprocess', 'queue', 'inference', 'total'] as const) metrics.stageDuration.observe({ ...model, stage }, 0.004)
  metrics.batchSize.observe(model, 4)
}

// Tracing off: the app holds `tracing: undefined` and calls it through optional chaining.
const tracing = undefined as Tracing | undefined
const request = new Request('http://x/v1/predict', { method: 'POST' })
function tracingOff(): void {
  tracing?.start(request, '/v1/predict')
  tracing?.end(request, 200, '/v1/predict')
}

function time(fn: () => void): number {
  for (let i = 0; i < 10_000; i++) fn() // warm-up
  const started = process.cpuUsage()
  for (let i = 0; i < iterations; i++) fn()
  const used = process.cpuUsage(started)
  return (used.user + used.system) / 1000 / iterations // CPU ms per call
}

const metricsMs = time(perRequest)
const tracingMs = time(tracingOff)
const scrapeStarted = performance.now()
const scrapes = 200
for (let i = 0; i < scrapes; i++) await metrics.registry.metrics()
const scrapeMs = (performance.now() - scrapeStarted) / scrapes

const pct = (ms: number) => ((ms / cpuMsPerImage) * 100).toFixed(3)
console.log(`| what | CPU per request | share of ${cpuMsPerImage} CPU ms per image |`)
console.log(`| --- | --- | --- |`)
console.log(`| metrics observations (7 per request) | ${(metricsMs * 1000).toFixed(2)} µs | ${pct(metricsMs)} % |`)
console.log(`| tracing off (optional-chained calls) | ${(tracingMs * 1e6).toFixed(1)} ns | ${pct(tracingMs)} % |`)
console.log(`| one /metrics scrape (every 15 s in a typical setup) | ${scrapeMs.toFixed(2)} ms | – |`)
