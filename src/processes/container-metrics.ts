import { AggregatorRegistry } from 'prom-client'
import { type CollectTarget, MetricsGatherer } from './gather'
import type { MetricsJson } from './protocol'

/** Metric types that only grow while a process lives; a gauge says how things are now, and goes with its process. */
const CUMULATIVE = new Set(['counter', 'histogram'])

/**
 * The supervisor's side of the container's /metrics: every process's metrics, gathered for a scrape, plus the counts
 * of the processes that have died. A process restarted counts from zero; without what its predecessor had counted,
 * the container's counters would step back at each restart, and Prometheus would read the step as a counter reset
 * and add the whole remaining total to that window's rate() (a spike in request and error rates, and in alerts).
 */
export class ContainerMetrics {
  private readonly gatherer: MetricsGatherer
  /** Each live process's metrics as last collected. */
  private readonly lastSeen = new Map<number, MetricsJson>()
  /** The counters and histograms of every process that died, as last collected, merged into one. */
  private retired: MetricsJson = []

  constructor(timeoutMs?: number) {
    this.gatherer = new MetricsGatherer(timeoutMs)
  }

  /** The metrics of every process that answered in time (`answered` of them), and those of the dead. */
  async gather(targets: readonly CollectTarget[]): Promise<{ metrics: MetricsJson[]; answered: number }> {
    const live = await this.gatherer.gather(targets)
    return { metrics: this.retired.length > 0 ? [...live, this.retired] : live, answered: live.length }
  }

  /** Process `index`'s answer to a collect. */
  collected(index: number, id: number, metrics: MetricsJson): void {
    this.lastSeen.set(index, metrics)
    this.gatherer.collected(id, metrics)
  }

  /**
   * Process `index` died: its counters and histograms, as last collected, stay in the container's (what it counted
   * after the last scrape is lost: the totals never go back, but may miss those increments). Its gauges go with it.
   */
  async retire(index: number): Promise<void> {
    const dead = this.lastSeen.get(index)
    this.lastSeen.delete(index)
    if (!dead) return
    const cumulative = dead.filter((metric) => CUMULATIVE.has(String(metric.type)))
    this.retired = await AggregatorRegistry.aggregate([this.retired, cumulative]).getMetricsAsJSON()
  }
}
