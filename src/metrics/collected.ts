import { Counter, type Registry } from 'prom-client'

/** Every metric of the server's own carries it (process_* and nodejs_* keep their standard names). */
export const PREFIX = 'bun_infer_'
/** Seconds; from a cache-hit-fast 0.5 ms to a 10 s deadline. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** A counter that shows, at scrape time, a count its owner keeps itself (monotonic, so reset + inc is exact). */
export function countFrom(registry: Registry, name: string, help: string, count: () => number): void {
  new Counter({
    name: `${PREFIX}${name}`,
    help,
    registers: [registry],
    collect() {
      this.reset()
      this.inc(count())
    }
  })
}

/**
 * countFrom with one label: at scrape time, each value of `counts` under its key as `label`. Undefined (the owner
 * has none yet) leaves the series as they were.
 */
export function countsFrom(
  registry: Registry,
  name: string,
  help: string,
  label: string,
  counts: () => Readonly<Record<string, number>> | undefined
): void {
  new Counter({
    name: `${PREFIX}${name}`,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      const now = counts()
      if (!now) return
      this.reset()
      for (const [value, count] of Object.entries(now)) this.inc({ [label]: value }, count)
    }
  })
}
