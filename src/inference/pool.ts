import { AppError } from '../errors'
import { normalisationOf } from '../models/manifest'
import type { ModelSpec } from '../models/registry'
import type { FromWorker, ToWorker, WorkerFault, WorkerModel } from './protocol'

/** What a worker needs to load one model version; its sessions are keyed by the spec's key. */
export function toWorkerModel(spec: ModelSpec): WorkerModel {
  const { input, output } = spec.manifest
  const { datatype, layout, channelOrder, height, width } = input
  return {
    key: spec.key,
    input: { datatype, layout, channelOrder, height, width, normalise: normalisationOf(spec.manifest) },
    modelPath: spec.modelPath,
    inputName: input.name,
    outputName: output.name,
    classes: output.classes
  }
}

export interface RunResult {
  /** batchSize × classes scores, image-major. */
  output: Float32Array
  inferenceMs: number
  /** Intra-op threads of the session that ran the batch (more when it ran lone). */
  intraOpThreads?: number
}

/** What the batcher needs from the pool. */
export interface BatchRunner {
  readonly idle: number
  readonly busy: number
  run(model: string, input: Uint8Array | Float32Array, batchSize: number): Promise<RunResult>
  /** Called whenever a worker becomes free (after a batch, or when a replacement is ready). */
  onIdle(listener: () => void): void
}

interface Job {
  id: number
  resolve: (result: RunResult) => void
  reject: (error: Error) => void
  /** The watchdog of a batch that may hang. */
  timer?: ReturnType<typeof setTimeout>
}

interface Slot {
  worker: Worker
  ready: boolean
  job?: Job
  /** Waiting for this worker to load models added at run time. */
  adding?: { resolve: () => void; reject: (error: Error) => void }
}

export interface PoolOptions {
  size: number
  intraOpThreads: number
  /** See SessionThreads; default 0 (no second session). */
  loneIntraOpThreads?: number
  /** See SessionThreads; default true (onnxruntime's default). */
  spinning?: boolean
  models: WorkerModel[]
  /** A batch running longer than this (ms) means a wedged worker: it is terminated and replaced. 0: no watchdog. */
  batchWatchdogMs?: number
  /** Called with a short reason whenever a worker dies and is replaced. */
  onWorkerLost?: (reason: string) => void
}

const WORKER_URL = new URL('./worker.ts', import.meta.url)
const RESPAWN_BACKOFF_MS = 1000

/**
 * Inference workers (Bun Worker threads), one batch each at a time. A worker that dies fails only
 * its in-flight batch (503 worker_lost) and is replaced.
 */
export class WorkerPool implements BatchRunner {
  private readonly slots: Slot[] = []
  private readonly idleListeners: Array<() => void> = []
  private nextJobId = 1
  private closed = false

  constructor(private readonly options: PoolOptions) {}

  /** Spawns every worker and waits until each has loaded every model. Rejects with the first load error. */
  async start(): Promise<void> {
    // Wait for every worker to settle, not just the first failure: exiting while another worker is still
    // inside onnxruntime's native model load can make the runtime print noise after our one-line message.
    const results = await Promise.allSettled(Array.from({ length: this.options.size }, () => this.spawn()))
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }

  get idle(): number {
    let n = 0
    for (const slot of this.slots) if (slot.ready && !slot.job) n++
    return n
  }

  get busy(): number {
    let n = 0
    for (const slot of this.slots) if (slot.job) n++
    return n
  }

  /** True while every worker is alive and loaded. */
  get healthy(): boolean {
    return !this.closed && this.slots.length === this.options.size && this.slots.every((s) => s.ready)
  }

  onIdle(listener: () => void): void {
    this.idleListeners.push(listener)
  }

  /**
   * `input`: RGB bytes (HWC) to be normalised by the worker, or an already normalised CHW float tensor.
   * `fault` is for src/faults only (a test build wraps the pool to crash or hang a worker mid-batch).
   */
  run(model: string, input: Uint8Array | Float32Array, batchSize: number, fault?: WorkerFault): Promise<RunResult> {
    const slot = this.slots.find((s) => s.ready && !s.job)
    if (!slot) throw new Error('WorkerPool.run called with no idle worker (batcher bug)')
    // A lone image (a batch of one that starts while every other worker is idle) has the cores to itself.
    // Only batches of one: a lone session that also ran whole batches grew an activation arena as large
    // as the main session's (+110 MB RSS after 64 concurrent requests, measured), for no gain under load.
    const lone = this.busy === 0 && batchSize === 1
    return new Promise<RunResult>((resolve, reject) => {
      const job: Job = { id: this.nextJobId++, resolve, reject }
      const message: ToWorker = { type: 'run', jobId: job.id, model, batchSize, input, lone, fault }
      try {
        slot.worker.postMessage(message, [input.buffer as ArrayBuffer])
      } catch {
        // Native-owned memory (a sharp output buffer, say) cannot be transferred: send a JS-owned copy.
        const copy = input.slice()
        slot.worker.postMessage({ ...message, input: copy }, [copy.buffer as ArrayBuffer])
      }
      slot.job = job
      const limit = this.options.batchWatchdogMs
      if (limit) job.timer = setTimeout(() => slot.job === job && this.lost(slot, `a batch ran over ${limit} ms`), limit)
    })
  }

  /**
   * Loads more model versions on every worker (the repository extension); a replacement worker loads them
   * too. If any worker cannot load them, none keeps them and the error says why.
   */
  async addModels(models: WorkerModel[]): Promise<void> {
    this.options.models.push(...models)
    const { intraOpThreads, loneIntraOpThreads = 0, spinning = true } = this.options
    const message: ToWorker = { type: 'add-models', models, threads: { intraOpThreads, loneIntraOpThreads, spinning } }
    const loaded = this.slots.map(
      (slot) =>
        new Promise<void>((resolve, reject) => {
          slot.adding = { resolve, reject }
          slot.worker.postMessage(message)
        })
    )
    const results = await Promise.allSettled(loaded)
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) {
      this.removeModels(models.map((m) => m.key))
      throw failed.reason
    }
  }

  /** Frees model versions' sessions on every worker; call only once none of their batches is queued or running. */
  removeModels(keys: string[]): void {
    const gone = new Set(keys)
    this.options.models.splice(0, this.options.models.length, ...this.options.models.filter((m) => !gone.has(m.key)))
    for (const slot of this.slots) slot.worker.postMessage({ type: 'remove-models', keys } satisfies ToWorker)
  }

  async close(): Promise<void> {
    this.closed = true
    for (const slot of this.slots) {
      slot.job?.reject(new AppError('draining', 'server stopped'))
      slot.worker.terminate()
    }
    this.slots.length = 0
  }

  private spawn(): Promise<void> {
    const worker = new Worker(WORKER_URL)
    const slot: Slot = { worker, ready: false }
    this.slots.push(slot)
    return new Promise<void>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<FromWorker>) => {
        const message = event.data
        if (message.type === 'ready') {
          slot.ready = true
          resolve()
          this.notifyIdle()
        } else if (message.type === 'load-failed') {
          this.remove(slot)
          worker.terminate()
          reject(new Error(message.message))
        } else if (message.type === 'models-added') slot.adding?.resolve()
        else if (message.type === 'models-failed') slot.adding?.reject(new Error(message.message))
        else this.settle(slot, message)
      }
      // 'error' is an uncaught exception in the worker, 'close' is its exit: either way it is gone.
      worker.addEventListener('error', (event) => this.lost(slot, (event as ErrorEvent).message ?? 'worker error'))
      worker.addEventListener('close', () => this.lost(slot, 'worker exited'))
      const { intraOpThreads, loneIntraOpThreads = 0, spinning = true } = this.options
      const load: ToWorker = { type: 'load', models: this.options.models, threads: { intraOpThreads, loneIntraOpThreads, spinning } }
      worker.postMessage(load)
    })
  }

  private settle(slot: Slot, message: Extract<FromWorker, { jobId: number }>): void {
    const job = slot.job
    if (!job || job.id !== message.jobId) return
    clearTimeout(job.timer)
    slot.job = undefined
    if (message.type === 'result')
      job.resolve({ output: message.output, inferenceMs: message.inferenceMs, intraOpThreads: message.intraOpThreads })
    else job.reject(new Error(`inference failed: ${message.message}`))
    this.notifyIdle()
  }

  private lost(slot: Slot, reason: string): void {
    if (!this.remove(slot)) return
    // terminate() also stops a worker stuck in a loop (the watchdog's case); its batch fails alone.
    slot.worker.terminate()
    clearTimeout(slot.job?.timer)
    slot.job?.reject(new AppError('worker_lost', 'the inference worker running this request died; it was replaced, retry'))
    if (this.closed) return
    this.options.onWorkerLost?.(reason)
    const respawn = () => {
      if (this.closed) return
      this.spawn().catch(() => setTimeout(respawn, RESPAWN_BACKOFF_MS))
    }
    respawn()
  }

  private remove(slot: Slot): boolean {
    const index = this.slots.indexOf(slot)
    if (index === -1) return false
    this.slots.splice(index, 1)
    return true
  }

  private notifyIdle(): void {
    for (const listener of this.idleListeners) listener()
  }
}
