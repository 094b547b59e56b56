/**
 * A server process's side of the supervisor (supervisor.ts): it says when it listens and when it is ready, hears
 * whether the whole container is, hands its metrics over when asked, and asks for everyone's when it is scraped.
 */
import type { Registry } from 'prom-client'
import { mergeMetrics } from './merge-metrics'
import { type ChildMessage, type ContainerState, isMessage, type MetricsJson, type ProcessCounts, type SupervisorMessage } from './protocol'

/** Longer than the supervisor's own wait for the others (gather.ts), so its answer, partial or not, comes first. */
const GATHER_TIMEOUT_MS = 2000

/** What a supervised process needs from its IPC channel; `process` itself when started by the supervisor. */
export interface Channel {
  send(message: ChildMessage): unknown
  on(event: 'message', listener: (message: unknown) => void): unknown
}

export class SupervisorLink {
  private state: ContainerState = 'starting'
  private registry?: Registry
  private nextId = 0
  private readonly waiting = new Map<number, (reply: { metrics: MetricsJson[]; counts?: ProcessCounts }) => void>()

  /**
   * @param listenWhileLoading listen before the models load (so liveness answers), as one process does: only the
   *   container's first process at its first start (with port 0 it picks the port). Every other listens once ready,
   *   so the kernel never hands a connection on the shared port to a process that would refuse it as not ready.
   */
  constructor(
    readonly index: number,
    private readonly channel: Channel,
    readonly listenWhileLoading = false,
    private readonly gatherTimeoutMs = GATHER_TIMEOUT_MS
  ) {
    channel.on('message', (message) => {
      if (isMessage<SupervisorMessage>(message)) void this.receive(message)
    })
  }

  /** Whether every process of the container is ready, as the supervisor last said. */
  containerState(): ContainerState {
    return this.state
  }

  /** The registry whose metrics this process contributes (set once the server is assembled). */
  attach(registry: Registry): void {
    this.registry = registry
  }

  listening(port: number): void {
    this.send({ type: 'listening', port })
  }

  ready(): void {
    this.send({ type: 'ready' })
  }

  /**
   * The container's metrics in Prometheus text: every process's, this one's included, as the supervisor gathered them
   * (it keeps the counts of processes that died). Without an answer from the supervisor (it is gone, or stuck), this
   * process's alone; the `bun_infer_server_processes{state="scraped"}` gauge says how many are in it either way.
   */
  async containerMetrics(): Promise<string> {
    const id = this.nextId++
    const reply = await new Promise<{ metrics: MetricsJson[]; counts?: ProcessCounts } | undefined>((resolve) => {
      const timer = setTimeout(() => finish(undefined), this.gatherTimeoutMs)
      const finish = (answer: { metrics: MetricsJson[]; counts?: ProcessCounts } | undefined) => {
        clearTimeout(timer)
        this.waiting.delete(id)
        resolve(answer)
      }
      this.waiting.set(id, finish)
      this.send({ type: 'gather', id })
    })
    if (reply) return mergeMetrics(reply.metrics, reply.counts)
    return mergeMetrics([this.registry ? await this.registry.getMetricsAsJSON() : []])
  }

  /** A closed channel (the supervisor is gone) throws; the process is leaving then, and a scrape gets its own metrics. */
  private send(message: ChildMessage): void {
    try {
      this.channel.send(message)
    } catch {
      // Nothing to tell: main.ts drains and exits on 'disconnect'.
    }
  }

  private async receive(message: SupervisorMessage): Promise<void> {
    switch (message.type) {
      case 'container':
        this.state = message.state
        return
      case 'collect': {
        // Before the server is assembled there is nothing to count yet: an empty answer, so the scrape need not wait.
        const metrics = this.registry ? await this.registry.getMetricsAsJSON() : []
        this.send({ type: 'collected', id: message.id, metrics })
        return
      }
      case 'gathered':
        this.waiting.get(message.id)?.({ metrics: message.metrics, counts: message.counts })
        return
    }
  }
}
