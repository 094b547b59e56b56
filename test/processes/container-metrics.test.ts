import { describe, expect, test } from 'bun:test'
import { Counter, Gauge, Registry } from 'prom-client'
import { ContainerMetrics } from '../../src/processes/container-metrics'
import { mergeMetrics } from '../../src/processes/merge-metrics'

/** One process's metrics: `requests` counted, `queued` images waiting now. */
async function processJson(requests: number, queued: number) {
  const registry = new Registry()
  new Counter({ name: 'requests_total', help: 'h', registers: [registry] }).inc(requests)
  new Gauge({ name: 'queued', help: 'h', registers: [registry] }).set(queued)
  return registry.getMetricsAsJSON()
}

const value = (text: string, name: string) =>
  Number(
    text
      .split('\n')
      .find((line) => line.startsWith(`${name} `))
      ?.split(' ')[1]
  )

/** One scrape of the container: each live process (by index) answers the collect with its metrics. */
async function scrape(metrics: ContainerMetrics, live: Record<number, Awaited<ReturnType<typeof processJson>>>) {
  const indexes = Object.keys(live).map(Number)
  let id = -1
  const gathered = metrics.gather(indexes.map(() => ({ ask: (asked: number) => (id = asked) >= 0 })))
  for (const index of indexes) metrics.collected(index, id, live[index]!)
  const { metrics: each, answered } = await gathered
  return { text: await mergeMetrics(each), answered }
}

describe("the supervisor's container metrics", () => {
  test("a dead process's counters stay in the totals (never a step back); its gauges go", async () => {
    const metrics = new ContainerMetrics(60_000)
    const before = await scrape(metrics, { 0: await processJson(5, 1), 1: await processJson(7, 2) })
    expect([value(before.text, 'requests_total'), value(before.text, 'queued')]).toEqual([12, 3])

    await metrics.retire(1) // process 1 died; its replacement counts from 0
    const after = await scrape(metrics, { 0: await processJson(6, 1), 1: await processJson(1, 0) })
    expect([value(after.text, 'requests_total'), value(after.text, 'queued'), after.answered]).toEqual([14, 1, 2])

    await metrics.retire(1) // and again: both predecessors' counts stay
    const again = await scrape(metrics, { 0: await processJson(6, 1), 1: await processJson(0, 0) })
    expect(value(again.text, 'requests_total')).toBe(14)
  })

  test('a process never scraped leaves nothing behind when it dies', async () => {
    const metrics = new ContainerMetrics(60_000)
    await metrics.retire(0)
    const { text } = await scrape(metrics, { 1: await processJson(2, 0) })
    expect(value(text, 'requests_total')).toBe(2)
  })
})
