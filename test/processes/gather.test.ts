import { describe, expect, test } from 'bun:test'
import { MetricsGatherer } from '../../src/processes/gather'
import { Counter, Registry } from 'prom-client'
import type { MetricsJson } from '../../src/processes/protocol'

/** One process's getMetricsAsJSON(), holding one counter called `name`. */
async function metric(name: string): Promise<MetricsJson> {
  const registry = new Registry()
  new Counter({ name, help: name, registers: [registry] }).inc()
  return registry.getMetricsAsJSON()
}

describe("the supervisor's half of a scrape", () => {
  test('resolves once every process asked has answered, with each answer', async () => {
    const gatherer = new MetricsGatherer(60_000)
    const asked: number[] = []
    const gathered = gatherer.gather([0, 1].map(() => ({ ask: (id: number) => asked.push(id) > 0 })))
    expect(asked).toEqual([0, 0])
    gatherer.collected(0, await metric('a'))
    gatherer.collected(0, await metric('b'))
    expect((await gathered).map((m) => m[0]!.name)).toEqual(['a', 'b'])
  })

  test('a process that does not answer in time is left out; its late answer is dropped', async () => {
    const gatherer = new MetricsGatherer(20)
    const [answered, late, next] = await Promise.all(['answered', 'late', 'next'].map(metric))
    const gathered = gatherer.gather([{ ask: () => true }, { ask: () => true }])
    gatherer.collected(0, answered!)
    expect((await gathered).map((m) => m[0]!.name)).toEqual(['answered'])
    gatherer.collected(0, late!) // no gather waits for it: no effect, no throw
    const gatheredNext = gatherer.gather([{ ask: () => true }])
    gatherer.collected(1, next!)
    expect((await gatheredNext).map((m) => m[0]!.name)).toEqual(['next'])
  })

  test('nobody to ask (a lone process left, or every channel closed): at once, empty', async () => {
    const gatherer = new MetricsGatherer(60_000)
    expect(await gatherer.gather([])).toEqual([])
    expect(await gatherer.gather([{ ask: () => false }])).toEqual([])
  })
})
