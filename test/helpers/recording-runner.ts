import type { BatchRunner, RunResult } from '../../src/inference/pool'

interface Call {
  model: string
  batchSize: number
  input: Uint8Array | Float32Array
  resolve: (result: RunResult) => void
  reject: (error: Error) => void
}

/**
 * A worker pool stand-in that records each batch and lets the test finish it. Its "model" echoes
 * the first float of each image as that image's single output value, so order can be checked.
 */
export class RecordingRunner implements BatchRunner {
  readonly calls: Call[] = []
  private listeners: Array<() => void> = []

  constructor(private workers: number) {}

  get busy(): number {
    return this.calls.filter((c) => !('done' in c)).length
  }

  get idle(): number {
    return this.workers - this.busy
  }

  onIdle(listener: () => void): void {
    this.listeners.push(listener)
  }

  run(model: string, input: Uint8Array | Float32Array, batchSize: number): Promise<RunResult> {
    if (this.idle === 0) throw new Error('run() with no idle worker')
    return new Promise((resolve, reject) => this.calls.push({ model, batchSize, input, resolve, reject }))
  }

  /** Completes call i with echo outputs (inputElements floats per image) and frees its worker. */
  finish(i: number, inputElements: number): void {
    const call = this.calls[i]!
    const output = new Float32Array(call.batchSize)
    for (let b = 0; b < call.batchSize; b++) output[b] = call.input[b * inputElements]!
    Object.assign(call, { done: true })
    call.resolve({ output, inferenceMs: 5 })
    for (const listener of this.listeners) listener()
  }

  fail(i: number, error: Error): void {
    const call = this.calls[i]!
    Object.assign(call, { done: true })
    call.reject(error)
    for (const listener of this.listeners) listener()
  }
}
