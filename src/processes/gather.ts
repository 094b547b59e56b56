import type { MetricsJson } from './protocol'

/**
 * The longest the supervisor waits for a process's metrics: one that is hung (a JS thread stuck in a long
 * parse, say) is left out of that scrape rather than holding it up. Prometheus times a scrape out at 10 s.
 */
export const COLLECT_TIMEOUT_MS = 1000

/** A process asked for its metrics: `ask` sends it `{ type: 'collect', id }` and says whether that went out. */
export interface CollectTarget {
  ask(id: number): boolean
}

interface Pending {
  waiting: number
  metrics: MetricsJson[]
  finish(): void
}

/** The supervisor's half of a scrape: asks processes for their metrics and keeps what comes back in time. */
export class MetricsGatherer {
  private nextId = 0
  private readonly pending = new Map<number, Pending>()

  constructor(private readonly timeoutMs = COLLECT_TIMEOUT_MS) {}

  /** Resolves with the metrics of those that answered within the timeout (fewer than asked when one did not). */
  gather(targets: readonly CollectTarget[]): Promise<MetricsJson[]> {
    const id = this.nextId++
    return new Promise((resolve) => {
      const entry: Pending = {
        waiting: 0,
        metrics: [],
        finish: () => {
          clearTimeout(timer)
          this.pending.delete(id)
          resolve(entry.metrics)
        }
      }
      const timer = setTimeout(entry.finish, this.timeoutMs)
      this.pending.set(id, entry)
      for (const target of targets) if (target.ask(id)) entry.waiting++
      if (entry.waiting === 0) entry.finish()
    })
  }

  /** A process's answer; one that comes after its gather finished (timed out) is dropped. */
  collected(id: number, metrics: MetricsJson): void {
    const entry = this.pending.get(id)
    if (!entry) return
    entry.metrics.push(metrics)
    if (--entry.waiting === 0) entry.finish()
  }
}
