/**
 * The messages between the supervisor and its server processes, over Bun's IPC channel (Bun.spawn `ipc`,
 * process.send). Structured clone ('advanced' serialization), so a metric's NaN or Infinity crosses intact.
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client'

/** One registry's getMetricsAsJSON(). */
export type MetricsJson = Array<MetricObjectWithValues<MetricValue<string>>>

/** The container as one: ready when every process is; degraded while one is being replaced. */
export type ContainerState = 'starting' | 'ready' | 'degraded'

/** What the supervisor knows of its processes, shown on /metrics. */
export interface ProcessCounts {
  configured: number
  ready: number
  /** Processes whose metrics are in this scrape: fewer than those running when one did not answer in time. */
  scraped: number
  restarts: number
}

export type ChildMessage =
  /** The process listens (models may still load): with port 0, the others are started on this port. */
  | { type: 'listening'; port: number }
  /** Its models are loaded and its workers answer. */
  | { type: 'ready' }
  /** Its /metrics was scraped: the supervisor gathers every process's metrics (its own too) for it. */
  | { type: 'gather'; id: number }
  /** Its own metrics, for the supervisor's `collect` of the same id. */
  | { type: 'collected'; id: number; metrics: MetricsJson }

export type SupervisorMessage =
  | { type: 'container'; state: ContainerState }
  /** Send your metrics (a `collected` of this id). */
  | { type: 'collect'; id: number }
  /** The answer to a `gather`: the metrics of the processes that answered in time and of the dead ones, and the counts. */
  | { type: 'gathered'; id: number; metrics: MetricsJson[]; counts: ProcessCounts }

/** Whether an IPC message is one of ours (a message from elsewhere is ignored, never trusted as a shape). */
export function isMessage<T extends { type: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string'
}
