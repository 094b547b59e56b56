import type { BatchRunner, RunResult } from '../../src/inference/pool'

interface Call {
  /** Index of the stand-in worker running it. */
  worker: number
  model: string
  batchSize: number
  input: Uint8Array | Float32Array
  resolve: (result: RunResult) => void
  reject: (error: Error) => void
}

/**
 * A worker pool stand-in that records each batch and lets the test finish it. Its "model" echoes
 * the first float of each image as that image's single output value, so order can be checked.
 * `holds[i]` lists the models worker i has sessions for (instance counts); without it every worker holds every model.
 */
export class RecordingRunner implements BatchRunner {
  readonly calls: Call[] = []
  private listeners: Array<() => void> = []

  constructor(
    private workers: number,
    private readonly holds?: string[][]
  ) {}

  get busy(): number {
    return this.calls.filter((c) => !('done' in c)).length
  }

  get idle(): number {
    return this.workers - this.busy
  }

  idleFor(model: string): number {
    return this.freeWorkers(model).length
  }

  private freeWorkers(model: string): number[] {
    const running = new Set(this.calls.filter((c) => !('done' in c)).map((c) => c.worker))
    return Array.from({ length: this.workers }, (_, i) => i).filter(
      (i) => !running.has(i) && (this.holds === undefined || this.holds[i]!.includes(model))
    )
  }

  onIdle(listener: () => void): void {
    this.listeners.push(listener)
  }

  run(model: string, input: Uint8Array | Float32Array, batchSize: number): Promise<RunResult> {
    const worker = this.freeWorkers(model)[0]
    if (worker === undefined) throw new Error(`run() with no idle worker holding ${model}`)
    return new Promise((resolve, reject) => this.calls.push({ worker, model, batchSize, input, resolve, reject }))
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
