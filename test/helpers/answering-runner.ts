import type { BatchRunner, RunResult } from '../../src/inference/pool'

/**
 * A worker pool stand-in for in-process app tests: no onnxruntime, no threads. Each batch is answered on a
 * later microtask with made-up logits in which image i's top class is its first RGB byte (so answers are
 * deterministic and differ by image). `hold()` keeps batches running until `release()`, to fill a queue.
 */
export class AnsweringRunner implements BatchRunner {
  /** Every batch run, in order. */
  readonly batches: Array<{ model: string; batchSize: number }> = []
  private running = 0
  private readonly listeners: Array<() => void> = []
  private gate: Promise<void> | undefined
  private open: (() => void) | undefined

  constructor(
    private readonly workers: number,
    private readonly classesOf: (model: string) => number
  ) {}

  get busy(): number {
    return this.running
  }

  get idle(): number {
    return this.workers - this.running
  }

  /** Every stand-in worker holds every model. */
  idleFor(_model: string): number {
    return this.idle
  }

  onIdle(listener: () => void): void {
    this.listeners.push(listener)
  }

  hold(): void {
    this.gate ??= new Promise((resolve) => (this.open = resolve))
  }

  release(): void {
    this.open?.()
    this.gate = this.open = undefined
  }

  async run(model: string, input: Uint8Array | Float32Array, batchSize: number): Promise<RunResult> {
    if (this.idle === 0) throw new Error('run() with no idle worker (batcher bug)')
    this.running++
    this.batches.push({ model, batchSize })
    await (this.gate ?? Promise.resolve())
    const classes = this.classesOf(model)
    const perImage = input.length / batchSize
    const output = new Float32Array(batchSize * classes)
    for (let i = 0; i < batchSize; i++) {
      const hot = Math.floor(Number(input[i * perImage])) % classes
      for (let c = 0; c < classes; c++) output[i * classes + c] = c === hot ? 10 : -c / classes
    }
    this.running--
    queueMicrotask(() => this.listeners.forEach((listener) => listener()))
    return { output, inferenceMs: 1 }
  }
}
