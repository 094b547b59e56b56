import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client'
import { PREFIX } from '../metrics/collected'
import type { MetricsJson, ProcessCounts } from './protocol'

/**
 * One /metrics for the container from each process's getMetricsAsJSON(), merged by prom-client's
 * AggregatorRegistry.aggregate: counters and histograms (every bucket, sum and count) add up; gauges use the
 * aggregator each declares: summed by default (images queued, requests in flight, memory), the largest where a
 * sum means nothing (bun_infer_model_info, the drift gauges), prom-client's own for its process_* and nodejs_*.
 * Series with equal labels merge, so a scrape landing on any process shows the same totals.
 */
export async function mergeMetrics(each: readonly MetricsJson[], counts?: ProcessCounts): Promise<string> {
  return AggregatorRegistry.aggregate([...each, await processMetrics(counts?.scraped ?? each.length, counts)]).metrics()
}

/** How many processes the container has, how many are ready and in this scrape, and how many were restarted. */
async function processMetrics(scraped: number, counts: ProcessCounts | undefined): Promise<MetricsJson> {
  const registry = new Registry()
  const processes = new Gauge({
    name: `${PREFIX}server_processes`,
    help: 'Server processes of the container (BUN_INFER_PROCESSES): configured, ready, and those whose metrics are in this scrape (fewer when one did not answer in time).',
    labelNames: ['state'] as const,
    registers: [registry]
  })
  processes.set({ state: 'scraped' }, scraped)
  if (counts) {
    processes.set({ state: 'configured' }, counts.configured)
    processes.set({ state: 'ready' }, counts.ready)
  }
  new Counter({
    name: `${PREFIX}server_process_restarts_total`,
    help: 'Server processes that exited and were restarted by the supervisor.',
    registers: [registry]
  }).inc(counts?.restarts ?? 0)
  return registry.getMetricsAsJSON()
}
