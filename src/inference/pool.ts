import { within } from '../within'
import type { ExecutionProvider } from './providers'
import { AppError } from '../errors'
import { normalisationOf } from '../models/manifest'
import type { ModelSpec } from '../models/catalog'
import { placeModels } from './placement'
import type { FromWorker, LoadedMemory, SessionThreads, ToWorker, WorkerFault, WorkerModel } from './protocol'

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
    classes: output.classes,
    instances: spec.instances
  }
}

/** What a pool holds of one model version: its sessions' workers and the memory their loads added. */
export interface ModelSessions {
  instances: number
  memoryBytes: number
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
  /** Free workers that hold a session of this model version (key), i.e. could run its batch now. */
  idleFor(model: string): number
  /** Workers running a batch of any model. */
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
  /** Its index in the placement: the models it holds, which a replacement worker loads again. */
  position: number
  ready: boolean
  /** Settles when its load message is answered (or it died first): the pool loads one worker at a time. */
  loaded: Promise<void>
  settleLoad: () => void
  /** Settles when its thread has exited ('close'), by which time the thread has freed its sessions. */
  exited: Promise<void>
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
  /** See SessionThreads; default true. */
  loneSpinning?: boolean
  /** See SessionThreads; default cpu. */
  executionProvider?: ExecutionProvider
  /** Each is loaded on `instances` workers (every one by default); see placeModels. */
  models: WorkerModel[]
  /** A batch running longer than this (ms) means a wedged worker: it is terminated and replaced. 0: no watchdog. */
  batchWatchdogMs?: number
  /** Called with a short reason whenever a worker dies and is replaced. */
  onWorkerLost?: (reason: string) => void
}

const WORKER_URL = new URL('./worker.ts', import.meta.url)
const RESPAWN_BACKOFF_MS = 1000
/** How long close() lets running batches finish before it terminates their workers anyway. */
const CLOSE_WAIT_MS = 10_000
/** How long close(), or a replacement's load, waits for a terminated worker's thread to exit (a few ms unless wedged). */
const EXIT_WAIT_MS = 1000

/**
 * Inference workers (Bun Worker threads), one batch each at a time, each holding sessions for the models placed
 * on it. A worker that dies fails only its in-flight batch (503 worker_lost) and is replaced by one that loads
 * the same models.
 */
export class WorkerPool implements BatchRunner {
  private readonly slots: Slot[] = []
  /** placement[i]: keys of the model versions worker i holds. */
  private readonly placement: Array<Set<string>>
  /** key → worker index → memory that loading the model on that worker added. */
  private readonly memory = new Map<string, Map<number, number>>()
  private readonly idleListeners: Array<() => void> = []
  /** Loads run one worker at a time: the worker measures a process-wide figure, so each load must be alone in it. */
  private loading: Promise<unknown> = Promise.resolve()
  private nextJobId = 1
  private closed = false

  constructor(private readonly options: PoolOptions) {
    this.placement = Array.from({ length: options.size }, () => new Set<string>())
    placeModels(this.placement, options.models)
  }

  /** Spawns every worker and waits until each has loaded its models. Rejects with the first load error. */
  async start(): Promise<void> {
    // Wait for every worker to settle, not just the first failure: exiting while another worker is still
    // inside onnxruntime's native model load can make the runtime print noise after our one-line message.
    const results = await Promise.allSettled(this.placement.map((_, position) => this.spawn(position)))
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }

  idleFor(model: string): number {
    let n = 0
    for (const slot of this.slots) if (this.canRun(slot, model)) n++
    return n
  }

  /**
   * Workers holding a model version and the memory their loads of it added (sessions and a one-image warm-up, measured
   * at load as glibc's heap growth, see the worker; activation arenas grow later with the batch size); undefined if
   * not loaded.
   */
  sessionsOf(key: string): ModelSessions | undefined {
    const instances = this.placement.filter((keys) => keys.has(key)).length
    if (instances === 0) return undefined
    let memoryBytes = 0
    for (const bytes of this.memory.get(key)?.values() ?? []) memoryBytes += bytes
    return { instances, memoryBytes }
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
    const slot = this.freeSlotFor(model)
    if (!slot) throw new Error(`WorkerPool.run called with no idle worker holding ${model} (batcher bug)`)
    // A lone image (a batch of one that starts while every other worker is idle) has the cores to itself.
    // Only batches of one: a lone session that also ran whole batches would grow an activation arena as large
    // as the main session's, for no gain under load.
    const lone = this.busy === 0 && batchSize === 1
    return this.post(slot, (jobId) => ({ type: 'run', jobId, model, batchSize, input, lone, fault }), input)
  }

  /** Of the free workers holding the model, the one holding fewest models, so a model with fewer instances finds its workers free more often. */
  private freeSlotFor(model: string): Slot | undefined {
    let slot: Slot | undefined
    for (const s of this.slots)
      if (this.canRun(s, model) && (!slot || this.placement[s.position]!.size < this.placement[slot.position]!.size)) slot = s
    return slot
  }

  /** Sends one job to a free worker (its buffer transferred) and settles with the worker's answer (see settle). */
  private post(slot: Slot, message: (jobId: number) => ToWorker, buffer: Uint8Array | Float32Array): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      const job: Job = { id: this.nextJobId++, resolve, reject }
      const sent = message(job.id)
      try {
        slot.worker.postMessage(sent, [buffer.buffer as ArrayBuffer])
      } catch {
        // Native-owned memory (a sharp output buffer, say) cannot be transferred: send a JS-owned copy.
        const copy = buffer.slice()
        slot.worker.postMessage({ ...sent, input: copy }, [copy.buffer as ArrayBuffer])
      }
      slot.job = job
      const limit = this.options.batchWatchdogMs
      if (limit) job.timer = setTimeout(() => slot.job === job && this.lost(slot, `a batch ran over ${limit} ms`), limit)
    })
  }

  /**
   * Loads more model versions (the repository extension) on the workers placed for them, one worker at a time; a
   * replacement worker loads them too. If any worker cannot load them, none keeps them and the error says why.
   */
  async addModels(models: WorkerModel[]): Promise<void> {
    this.options.models.push(...models)
    placeModels(this.placement, models)
    const load = (slot: Slot) =>
      new Promise<void>((resolve, reject) => {
        const placed = models.filter((m) => this.placement[slot.position]!.has(m.key))
        if (placed.length === 0 || !this.slots.includes(slot)) return resolve()
        slot.adding = { resolve, reject }
        slot.worker.postMessage({ type: 'add-models', models: placed, threads: this.threads() } satisfies ToWorker)
      })
    const loaded = this.exclusively(async () => {
      for (const slot of [...this.slots]) await load(slot)
    })
    try {
      await loaded
    } catch (error) {
      this.removeModels(models.map((m) => m.key))
      throw error
    }
  }

  /** Frees model versions' sessions on the workers holding them; call only once none of their batches is queued or running. */
  removeModels(keys: string[]): void {
    const gone = new Set(keys)
    this.options.models.splice(0, this.options.models.length, ...this.options.models.filter((m) => !gone.has(m.key)))
    for (const slot of this.slots)
      if (keys.some((key) => this.placement[slot.position]!.has(key)))
        slot.worker.postMessage({ type: 'remove-models', keys } satisfies ToWorker)
    for (const placed of this.placement) for (const key of keys) placed.delete(key)
    for (const key of keys) this.memory.delete(key)
  }

  /**
   * Stops every worker, each after the batch it is running. A worker terminated inside onnxruntime-node's
   * `session.run` can take the whole process down: the binding cannot throw its error into a thread being terminated
   * and calls std::terminate (abort, exit 134), as when a drain follows a load generator that hung up while its
   * requests' batches were still running. No new batch starts meanwhile (a closing pool's workers are not ready);
   * one that outlasts `waitMs` (a wedged run with the watchdog off) is terminated all the same. Resolves once the
   * threads have exited (their sessions freed), so a pool started next in the process loads without their frees.
   */
  async close(waitMs = CLOSE_WAIT_MS): Promise<void> {
    this.closed = true
    for (const slot of this.slots) slot.ready = false
    const running = this.slots.flatMap((slot) => (slot.job ? [whenSettled(slot.job)] : []))
    if (running.length > 0) await within(Promise.all(running), waitMs)
    for (const slot of this.slots) {
      slot.job?.reject(new AppError('draining', 'server stopped'))
      slot.worker.terminate()
    }
    const exited = Promise.all(this.slots.map((slot) => slot.exited))
    this.slots.length = 0
    await within(exited, EXIT_WAIT_MS)
  }

  /** Free, loaded, and holding a session of the model version: could take its batch now. */
  private canRun(slot: Slot, model: string): boolean {
    return slot.ready && !slot.job && this.placement[slot.position]!.has(model)
  }

  private threads(): SessionThreads {
    const { intraOpThreads, loneIntraOpThreads = 0, spinning = true, loneSpinning = true, executionProvider = 'cpu' } = this.options
    return { intraOpThreads, loneIntraOpThreads, spinning, loneSpinning, executionProvider }
  }

  /** Runs `operation` after every load before it has settled. */
  private exclusively<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.loading.then(operation, operation)
    this.loading = result.catch(() => {})
    return result
  }

  private record(position: number, loaded: LoadedMemory[]): void {
    for (const { key, bytes } of loaded) {
      if (!this.placement[position]!.has(key)) continue
      const perWorker = this.memory.get(key) ?? new Map<number, number>()
      perWorker.set(position, bytes)
      this.memory.set(key, perWorker)
    }
  }

  private spawn(position: number): Promise<void> {
    const worker = new Worker(WORKER_URL)
    let settleLoad = () => {}
    const loaded = new Promise<void>((resolve) => (settleLoad = resolve))
    const exited = new Promise<void>((resolve) => worker.addEventListener('close', () => resolve()))
    const slot: Slot = { worker, position, ready: false, loaded, settleLoad, exited }
    this.slots.push(slot)
    return new Promise<void>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<FromWorker>) => {
        const message = event.data
        if (message.type === 'ready') {
          slot.ready = true
          this.record(position, message.memory)
          slot.settleLoad()
          resolve()
          this.notifyIdle()
        } else if (message.type === 'load-failed') {
          this.remove(slot)
          worker.terminate()
          slot.settleLoad()
          reject(new Error(message.message))
        } else if (message.type === 'models-added') {
          this.record(position, message.memory)
          slot.adding?.resolve()
        } else if (message.type === 'models-failed') slot.adding?.reject(new Error(message.message))
        else this.settle(slot, message)
      }
      // 'error' is an uncaught exception in the worker, 'close' is its exit: either way it is gone.
      worker.addEventListener('error', (event) => this.lost(slot, (event as ErrorEvent).message ?? 'worker error'))
      worker.addEventListener('close', () => this.lost(slot, 'worker exited'))
      // The worker thread starts now; its models load when the workers before it have loaded theirs.
      void this.exclusively(() => {
        if (!this.slots.includes(slot)) return Promise.resolve()
        const models = this.options.models.filter((m) => this.placement[position]!.has(m.key))
        worker.postMessage({ type: 'load', models, threads: this.threads() } satisfies ToWorker)
        return slot.loaded
      })
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
    slot.settleLoad()
    slot.adding?.reject(new Error(`a worker died while loading models (${reason})`))
    clearTimeout(slot.job?.timer)
    slot.job?.reject(new AppError('worker_lost', 'the inference worker running this request died; it was replaced, retry'))
    if (this.closed) return
    this.options.onWorkerLost?.(reason)
    // The next load (its replacement's) waits for this thread's exit, whose frees would shrink what that load measures.
    void this.exclusively(() => within(slot.exited, EXIT_WAIT_MS))
    const respawn = () => {
      if (this.closed) return
      this.spawn(slot.position).catch(() => setTimeout(respawn, RESPAWN_BACKOFF_MS))
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

/** Settles once `job` is answered or failed, however it ends (close() waits for it; the job's own caller gets the answer). */
function whenSettled(job: Job): Promise<void> {
  return new Promise((done) => {
    const { resolve, reject } = job
    job.resolve = (result) => {
      resolve(result)
      done()
    }
    job.reject = (error) => {
      reject(error)
      done()
    }
  })
}
