import type { BatchRunner, RunResult, WorkerPool } from '../inference/pool'
import type { WorkerFault } from '../inference/protocol'

/**
 * Test-only: wraps the worker pool so the next batch dispatched crashes or hangs its worker. Built only when
 * fault injection is enabled (src/server.ts), so production requests never pass through it. Every image is decoded
 * before it queues, so an armed fault always meets a batch.
 */
export class FaultInjectingRunner implements BatchRunner {
  private armed: WorkerFault | undefined

  constructor(private readonly pool: WorkerPool) {}

  /** The next batch (whichever request it holds) gets this fault. Tests send the faulty request alone. */
  arm(fault: WorkerFault): void {
    this.armed = fault
  }

  idleFor(model: string): number {
    return this.pool.idleFor(model)
  }

  get busy(): number {
    return this.pool.busy
  }

  onIdle(listener: () => void): void {
    this.pool.onIdle(listener)
  }

  run(model: string, input: Uint8Array | Float32Array, batchSize: number): Promise<RunResult> {
    const fault = this.armed
    this.armed = undefined
    return this.pool.run(model, input, batchSize, fault)
  }
}
