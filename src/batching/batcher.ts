import { AppError } from '../errors'
import type { BatchRunner } from '../inference/pool'
import type { Clock } from './clock'
import { decideBackground, decideBatch, type BatchPolicyConfig, type Priority } from './policy'

/** Result of one image, with the timings the client sees in `metadata`. */
export interface ImageResult {
  /** Scores for this image (one row of the batch output). */
  scores: Float32Array
  queueMs: number
  inferenceMs: number
  batchSize: number
}

export interface ModelQueueConfig extends BatchPolicyConfig {
  /** Bytes per preprocessed image (height × width × 3). */
  readonly inputElements: number
  /** Values per image in the output. */
  readonly outputElements: number
  /**
   * A queue of float tensors already in the graph's layout (the /v2 tensor input) instead of RGB bytes;
   * its batches run on the sessions of `runAs` (the model version key).
   */
  readonly floatTensorsFor?: string
}

export interface BatcherOptions {
  maxQueueImages: number
  /**
   * Batches' worth of decoded images a model may have ahead of its workers (queued, or being decoded) before
   * further decodes wait their turn (Admission.turn); absent: no bound.
   */
  decodeAheadBatches?: number
  clock: Clock
  /** Most background (bulk job) images in one batch; default 4. See decideBackground. */
  backgroundBatchSize?: number
  /** Observers for metrics; all optional. */
  onBatch?: (model: string, size: number) => void
  onSkipped?: (model: string, reason: 'aborted') => void
}

interface Entry {
  /** One preprocessed image: `inputElements` RGB bytes (or floats, in a float tensor queue). */
  input: Uint8Array | Float32Array
  enqueuedAt: number
  signal?: AbortSignal
  resolve: (result: ImageResult) => void
  reject: (error: unknown) => void
}

interface ModelQueue {
  name: string
  config: ModelQueueConfig
  entries: Entry[]
  /** Background (bulk job) images waiting, in arrival order: they go only where no interactive image waits. */
  background: Entry[]
  /** Interactive images in batches running on workers now. */
  running: number
  /** Background images in batches running on workers now. */
  backgroundRunning: number
  /** Images admitted but still being preprocessed: they count toward the queue bound. */
  reserved: number
  /** Images whose turn to decode came and that are not queued yet. */
  decoding: number
  /** Requests waiting for their turn to decode, in arrival order. */
  turns: Turn[]
}

interface Turn {
  images: number
  /** Counts the images as decoding and lets the request go on. */
  grant: () => void
}

/** Room held in a model's queue for a request's images while they are preprocessed. */
export interface Admission {
  readonly images: number
  /** Interactive admissions hold queue room; background ones (admitBackground) hold none: their caller bounds them. */
  readonly priority: Priority
  /**
   * Resolves when the images may be decoded: at once while the model has fewer than its bound of decoded images
   * ahead of its workers (queued or being decoded) or none at all, else in arrival order as batches leave the
   * queue. Rejects with the signal's reason if it aborts first (the request then leaves the line).
   */
  turn(signal?: AbortSignal): Promise<void>
  /** Gives the room (and the turn) back (idempotent); submit() does it when the images are queued. */
  release(): void
}

export interface SubmitOptions {
  /** Aborts the request (deadline, client gone): its queued images are removed and never cost inference. */
  signal?: AbortSignal
  /** Room held by admit() while the images were preprocessed; without one, room is checked here. */
  admission?: Admission
}

/**
 * Owns every model's queue and hands batches to free workers. It is woken by arrivals, by workers
 * going idle and by at most one timer (the earliest "wait" the policy asked for); it never polls.
 */
export class Batcher {
  private readonly queues = new Map<string, ModelQueue>()
  private timer: unknown = undefined
  private timerAt = Infinity
  /** Background batches running on workers now, across every queue. */
  private backgroundBatches = 0

  constructor(
    private readonly runner: BatchRunner,
    private readonly options: BatcherOptions
  ) {
    runner.onIdle(() => this.pump())
  }

  addModel(name: string, config: ModelQueueConfig): void {
    this.queues.set(name, {
      name,
      config,
      entries: [],
      background: [],
      running: 0,
      backgroundRunning: 0,
      reserved: 0,
      decoding: 0,
      turns: []
    })
  }

  /** Images of a model queued, admitted (being preprocessed) or running, background ones too: 0 means none of it is in flight. */
  inUse(model: string): number {
    const queue = this.queues.get(model)
    return queue ? this.backlog(model) + queue.background.length + queue.backgroundRunning : 0
  }

  /** Interactive images of a model admitted and not yet answered (queued, being preprocessed or running): the load signal. */
  backlog(model: string): number {
    const queue = this.queues.get(model)
    return queue ? queue.entries.length + queue.reserved + queue.running : 0
  }

  /** Background (bulk job) images of a model queued or running. */
  backgroundInUse(model: string): number {
    const queue = this.queues.get(model)
    return queue ? queue.background.length + queue.backgroundRunning : 0
  }

  /** Forgets a model's queue (the repository extension's unload), once nothing of it is in use. */
  removeModel(model: string): void {
    if (this.inUse(model) > 0) throw new Error(`Batcher.removeModel(${model}) while ${this.inUse(model)} images are in use`)
    this.queues.delete(model)
  }

  /** Interactive images waiting for a model (not counting running batches). */
  depth(model: string): number {
    return this.queues.get(model)?.entries.length ?? 0
  }

  /** Images of a model waiting, still encoded, for their turn to decode (Admission.turn). */
  awaitingDecode(model: string): number {
    return this.queues.get(model)?.turns.reduce((sum, turn) => sum + turn.images, 0) ?? 0
  }

  /** Images of a model in batches running on workers now. */
  running(model: string): number {
    return this.queues.get(model)?.running ?? 0
  }

  /**
   * Holds room for `images` in the model's queue, or throws 429 queue_full. Called before
   * preprocessing, so an overloaded server refuses in microseconds instead of after a decode.
   */
  admit(model: string, images: number): Admission {
    const queue = this.roomFor(model, images)
    queue.reserved += images
    let held = true
    let decoding = 0
    const grant = () => {
      if (!held) return // given back while it waited: nothing of it is decoding
      queue.decoding += images
      decoding = images
    }
    return {
      images,
      priority: 'interactive',
      turn: (signal) => this.waitTurn(queue, { images, grant }, signal),
      release: () => {
        if (held) queue.reserved -= images
        held = false
        if (decoding === 0) return
        queue.decoding -= decoding
        decoding = 0
        this.grantTurns(queue)
      }
    }
  }

  /**
   * An admission for background (bulk job) images: it holds no room in the queue, so a job never makes an
   * interactive request see 429 queue_full, and its turn comes at once; the caller bounds how many it has in flight.
   */
  admitBackground(model: string, images: number): Admission {
    this.queue(model) // an unknown model fails here, as admit() does
    return {
      images,
      priority: 'background',
      turn: (signal) => (signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve()),
      release: () => {}
    }
  }

  private waitTurn(queue: ModelQueue, turn: Turn, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (queue.turns.length === 0 && this.hasRoomToDecode(queue, turn.images)) {
      turn.grant()
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        queue.turns = queue.turns.filter((t) => t !== waiting)
        reject(signal!.reason)
        this.grantTurns(queue) // it may have been the one holding the line
      }
      const waiting: Turn = {
        images: turn.images,
        grant: () => {
          signal?.removeEventListener('abort', onAbort)
          turn.grant()
          resolve()
        }
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      queue.turns.push(waiting)
    })
  }

  /** Room under the decode-ahead bound; a model with nothing decoded ahead always has room (a request larger than the bound still goes). */
  private hasRoomToDecode(queue: ModelQueue, images: number): boolean {
    const ahead = queue.entries.length + queue.decoding
    const batches = this.options.decodeAheadBatches
    return ahead === 0 || batches === undefined || ahead + images <= batches * queue.config.maxBatchSize
  }

  /** Lets the waiting requests decode, in arrival order, while there is room. */
  private grantTurns(queue: ModelQueue): void {
    while (queue.turns.length > 0 && this.hasRoomToDecode(queue, queue.turns[0]!.images)) queue.turns.shift()!.grant()
  }

  /** Throws 429 queue_full unless `images` more fit in the model's queue now; holds nothing (a probe). */
  checkRoom(model: string, images: number): void {
    this.roomFor(model, images)
  }

  private roomFor(model: string, images: number): ModelQueue {
    const queue = this.queue(model)
    if (queue.entries.length + queue.reserved + images > this.options.maxQueueImages)
      throw new AppError('queue_full', `the queue of model ${model} is full; retry shortly`, { retryAfterSeconds: 1 })
    return queue
  }

  /**
   * Queues the images of one request (all or none) and resolves with their results in order.
   * With an admission, its held room is used (and released); without one, room is checked here.
   * Rejects at once with the signal's reason if it aborts (deadline, client gone); queued images
   * of an aborted request are removed and never cost inference.
   */
  submit(model: string, inputs: Array<Uint8Array | Float32Array>, { signal, admission }: SubmitOptions = {}): Promise<ImageResult[]> {
    const queue = this.queue(model)
    if (signal?.aborted) throw signal.reason
    if (admission) {
      if (admission.images !== inputs.length) throw new Error(`admitted ${admission.images} images, submitted ${inputs.length}`)
    } else this.checkRoom(model, inputs.length)
    const waiting = admission?.priority === 'background' ? queue.background : queue.entries

    const now = this.options.clock.now()
    const entries: Entry[] = []
    const settled = Promise.all(
      inputs.map(
        (input) =>
          new Promise<ImageResult>((resolve, reject) => {
            entries.push({ input, enqueuedAt: now, signal, resolve, reject })
          })
      )
    )
    waiting.push(...entries)
    // After the push: the images leave "decoding" for the queue, so no turn is granted on room they still take.
    admission?.release()
    if (signal) {
      const onAbort = () => this.abort(queue, entries, signal.reason)
      signal.addEventListener('abort', onAbort, { once: true })
      settled.then(
        () => signal.removeEventListener('abort', onAbort),
        () => signal.removeEventListener('abort', onAbort)
      )
    }
    this.pump()
    return settled
  }

  private queue(model: string): ModelQueue {
    const queue = this.queues.get(model)
    if (!queue) throw new Error(`Batcher has no queue for model ${model}`)
    return queue
  }

  private abort(queue: ModelQueue, entries: Entry[], reason: unknown): void {
    let removed = 0
    const keep = (entry: Entry) => {
      if (!entries.includes(entry)) return true
      removed++
      return false
    }
    queue.entries = queue.entries.filter(keep)
    queue.background = queue.background.filter(keep)
    for (let i = 0; i < removed; i++) this.options.onSkipped?.(queue.name, 'aborted')
    this.grantTurns(queue)
    // Rejecting one entry rejects the request's Promise.all; the rest settle into the void.
    for (const entry of entries) entry.reject(reason)
  }

  /**
   * Runs the policy for every queue, oldest first, until nothing more can be dispatched now; then gives the
   * workers still idle to background images (decideBackground).
   */
  private pump(): void {
    const now = this.options.clock.now()
    let earliestWait = Infinity
    const ordered = [...this.queues.values()]
      .filter((q) => q.entries.length > 0)
      .sort((a, b) => a.entries[0]!.enqueuedAt - b.entries[0]!.enqueuedAt)
    // Batches dispatched in this pass do not count as other work running: they start at the same moment, so a
    // lone request spread over the idle workers is still "the server was idle" for each of its batches.
    const busyBefore = this.runner.busy
    for (const queue of ordered) {
      for (;;) {
        const decision = decideBatch(
          { length: queue.entries.length, oldestEnqueuedAt: queue.entries[0]?.enqueuedAt ?? now },
          // Idle workers that hold this queue's model: with instance counts, not every worker can run every model.
          { idle: this.runner.idleFor(queue.config.floatTensorsFor ?? queue.name), busy: busyBefore },
          now,
          queue.config
        )
        if (decision.kind === 'dispatch') this.dispatch(queue, 'interactive', decision.size, now)
        else {
          if (decision.kind === 'wait') earliestWait = Math.min(earliestWait, now + decision.ms)
          break
        }
      }
    }
    this.pumpBackground(now)
    this.armTimer(earliestWait)
  }

  private pumpBackground(now: number): void {
    const queues = [...this.queues.values()]
    if (!queues.some((queue) => queue.background.length > 0)) return
    const batchSize = this.options.backgroundBatchSize ?? 4
    const interactiveInFlight = queues.reduce((sum, queue) => sum + queue.entries.length + queue.reserved + queue.running, 0)
    for (const queue of queues) {
      for (;;) {
        const decision = decideBackground(
          {
            background: queue.background.length,
            interactiveWaiting: queue.entries.length,
            interactiveInFlight,
            backgroundBatchesRunning: this.backgroundBatches,
            idleWorkers: this.runner.idleFor(queue.config.floatTensorsFor ?? queue.name)
          },
          batchSize
        )
        if (decision.kind === 'idle') break
        this.dispatch(queue, 'background', decision.size, now)
      }
    }
  }

  private armTimer(at: number): void {
    if (at === Infinity || at >= this.timerAt) return
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer)
    this.timerAt = at
    this.timer = this.options.clock.setTimeout(
      () => {
        this.timer = undefined
        this.timerAt = Infinity
        this.pump()
      },
      Math.max(0, at - this.options.clock.now())
    )
  }

  private dispatch(queue: ModelQueue, priority: Priority, size: number, now: number): void {
    const background = priority === 'background'
    const batch = (background ? queue.background : queue.entries).splice(0, size)
    if (!background) this.grantTurns(queue) // the next images decode as these leave for a worker
    const { inputElements, outputElements, floatTensorsFor } = queue.config
    // One contiguous buffer, transferred (not copied) to the worker.
    const input = floatTensorsFor ? new Float32Array(batch.length * inputElements) : new Uint8Array(batch.length * inputElements)
    batch.forEach((entry, i) => input.set(entry.input, i * inputElements))
    this.options.onBatch?.(queue.name, batch.length)
    if (background) {
      queue.backgroundRunning += batch.length
      this.backgroundBatches++
    } else queue.running += batch.length
    this.runner
      .run(floatTensorsFor ?? queue.name, input, batch.length)
      .finally(() => {
        if (background) {
          queue.backgroundRunning -= batch.length
          this.backgroundBatches--
          // The runner's idle call came before this count went down: decide again, or the next job batch waits for another.
          this.pump()
        } else queue.running -= batch.length
      })
      .then(({ output, inferenceMs }) => {
        if (output.length !== batch.length * outputElements)
          throw new Error(`batch of ${batch.length} returned ${output.length} values, expected ${batch.length * outputElements}`)
        batch.forEach((entry, i) =>
          entry.resolve({
            scores: output.subarray(i * outputElements, (i + 1) * outputElements),
            queueMs: now - entry.enqueuedAt,
            inferenceMs,
            batchSize: batch.length
          })
        )
      })
      // One path for a failed run and a broken result: only this batch's requests fail.
      .catch((error) => batch.forEach((entry) => entry.reject(error)))
  }
}
