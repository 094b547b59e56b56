/**
 * One container for a whole host: N server processes on one port (SO_REUSEPORT), each with its own JS thread.
 * The supervisor serves nothing itself. It starts them, restarts one that dies, tells them whether the container is
 * whole (their readiness answers for all of them), gathers every process's metrics for whichever one is scraped,
 * and on SIGTERM or SIGINT lets each drain and exit before it exits itself.
 */
import type { Subprocess } from 'bun'
import type { Logger } from '../log'
import { nextQuickDeaths, restartDelayMs } from './backoff'
import { ContainerMetrics } from './container-metrics'
import { type ChildMessage, type ContainerState, isMessage, type ProcessCounts, type SupervisorMessage } from './protocol'

/** Past the drain timeout, how long a stopping process may take to exit before it is killed. */
const EXIT_GRACE_MS = 10_000

export interface SupervisorOptions {
  processes: number
  /** 0: the first process picks a free port, and the others are started on it. */
  port: number
  /**
   * The command line of server process `index` on `port`; `listenWhileLoading` for the first process at its first
   * start only (supervised.ts says why).
   */
  command(index: number, port: number, listenWhileLoading: boolean): string[]
  drainTimeoutMs: number
  log: Logger
}

interface Slot {
  index: number
  proc?: Subprocess
  starts: number
  ready: boolean
  startedAt: number
  quickDeaths: number
  restartTimer?: Timer
}

export class Supervisor {
  private readonly slots: Slot[]
  private readonly metrics = new ContainerMetrics()
  private port: number
  private state: ContainerState = 'starting'
  private stopping = false
  private restarts = 0
  private settleStartup!: (error?: Error) => void
  private onPort?: (port: number) => void

  constructor(private readonly options: SupervisorOptions) {
    this.port = options.port
    this.slots = Array.from({ length: options.processes }, (_, index) => ({ index, starts: 0, ready: false, startedAt: 0, quickDeaths: 0 }))
  }

  /** Starts every process; resolves with the port once all are ready, rejects if one exits before that. */
  start(): Promise<number> {
    const started = new Promise<number>((resolve, reject) => {
      this.settleStartup = (error) => (error ? reject(error) : resolve(this.port))
    })
    const rest = () => {
      for (const slot of this.slots.slice(1)) this.spawn(slot)
    }
    if (this.port === 0) this.onPort = rest // the others wait for the port the first one was given
    this.spawn(this.slots[0]!)
    if (this.port !== 0) rest()
    return started
  }

  /** Forwards the signal to every process, waits for each to exit, and resolves; none is restarted after this. */
  async stop(signal: NodeJS.Signals): Promise<void> {
    this.stopping = true
    const running = this.slots.flatMap((slot) => {
      clearTimeout(slot.restartTimer)
      return slot.proc && slot.proc.exitCode === null && slot.proc.signalCode === null ? [slot.proc] : []
    })
    for (const proc of running) proc.kill(signal)
    // Each drains for at most its drain timeout; one that is wedged past that is killed, so the container exits.
    const killer = setTimeout(() => {
      for (const proc of running) proc.kill('SIGKILL')
    }, this.options.drainTimeoutMs + EXIT_GRACE_MS)
    await Promise.all(running.map((proc) => proc.exited))
    clearTimeout(killer)
  }

  private spawn(slot: Slot): void {
    slot.ready = false
    slot.startedAt = performance.now()
    const listenWhileLoading = slot.index === 0 && slot.starts++ === 0
    const proc = Bun.spawn(this.options.command(slot.index, this.port, listenWhileLoading), {
      stdin: 'ignore',
      stdout: 'inherit', // one stream of JSON lines for the container, each carrying its process index
      stderr: 'inherit',
      serialization: 'advanced',
      ipc: (message) => {
        if (isMessage<ChildMessage>(message)) this.receive(slot, message)
      }
    })
    slot.proc = proc
    this.options.log.info('server process started', { process: slot.index, pid: proc.pid })
    void proc.exited.then(() => this.exited(slot, proc))
  }

  private receive(slot: Slot, message: ChildMessage): void {
    switch (message.type) {
      case 'listening':
        // A process replaced while the others serve learns that the container is not whole (it waits for itself).
        this.send(slot, { type: 'container', state: this.state })
        if (this.port === 0) {
          this.port = message.port
          this.onPort?.(message.port)
        }
        return
      case 'ready':
        slot.ready = true
        this.update()
        return
      case 'gather':
        void this.gather(slot, message.id)
        return
      case 'collected':
        this.metrics.collected(slot.index, message.id, message.metrics)
        return
    }
  }

  /** Every process's metrics (the asker's too: the supervisor keeps each one's last counts), for the one scraped. */
  private async gather(asker: Slot, id: number): Promise<void> {
    const live = this.slots.filter((slot) => slot.proc)
    const { metrics, answered } = await this.metrics.gather(
      live.map((slot) => ({ ask: (collectId) => this.send(slot, { type: 'collect', id: collectId }) }))
    )
    this.send(asker, { type: 'gathered', id, metrics, counts: this.counts(answered) })
  }

  private counts(scraped: number): ProcessCounts {
    const ready = this.slots.filter((slot) => slot.ready).length
    return { configured: this.slots.length, ready, scraped, restarts: this.restarts }
  }

  /** Sends to a process; false when it has gone (its channel closed). */
  private send(slot: Slot, message: SupervisorMessage): boolean {
    if (!slot.proc) return false
    try {
      slot.proc.send(message)
      return true
    } catch {
      return false
    }
  }

  /** Recomputes the container's state and tells every process when it changed. */
  private update(): void {
    const whole = this.slots.every((slot) => slot.ready)
    const state: ContainerState = whole ? 'ready' : this.state === 'starting' ? 'starting' : 'degraded'
    if (state === this.state) return
    this.state = state
    if (whole) {
      this.options.log.info('all server processes ready', { processes: this.slots.length, port: this.port })
      this.settleStartup() // the first time: start() resolves; after a restart, nothing
    }
    for (const slot of this.slots) this.send(slot, { type: 'container', state })
  }

  private exited(slot: Slot, proc: Subprocess): void {
    if (slot.proc !== proc || this.stopping) return
    const fields = { process: slot.index, pid: proc.pid, code: proc.exitCode, signal: proc.signalCode }
    slot.ready = false
    slot.proc = undefined
    void this.metrics.retire(slot.index)
    if (this.state === 'starting') {
      // Before the container was ever whole: a setting, a model or the port is wrong, and a restart would only repeat
      // it. Stop the others and fail, as one process would.
      this.options.log.error('server process exited before it was ready; stopping', fields)
      void this.stop('SIGTERM').then(() => this.settleStartup(new StartupFailed(proc.exitCode || 1)))
      return
    }
    slot.quickDeaths = nextQuickDeaths(slot.quickDeaths, performance.now() - slot.startedAt)
    const delayMs = restartDelayMs(slot.quickDeaths)
    this.restarts++
    this.options.log.warn('server process exited; restarting it', { ...fields, restart_in_ms: delayMs })
    this.update()
    slot.restartTimer = setTimeout(() => this.spawn(slot), delayMs)
  }
}

/** A server process failed before the container was ready; `code` is its exit status, for the supervisor's own. */
export class StartupFailed extends Error {
  constructor(readonly code: number) {
    super(`a server process exited with status ${code} before every process was ready`)
  }
}
