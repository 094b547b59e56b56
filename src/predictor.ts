import type { Admission, Batcher, ImageResult } from './batching/batcher'
import type { Priority } from './batching/policy'
import { checkTopKFor } from './top-k'
import { softmax, topK, type Prediction } from './inference/postprocess'
import type { Metrics } from './metrics/registry'
import type { ModelCatalog, ModelSpec } from './models/catalog'
import { Preprocessor, type ImageLimits } from './preprocessing/preprocess'
import type { ResultCache } from './cache'
import { cacheKeyFor, imageDigest } from './cache'
import { Semaphore } from './preprocessing/semaphore'
import { availableParallelism } from 'node:os'
import { tensorQueueKey } from './models/queues'
import { recordsOf, topFromScores, topOfAnswer, type AnsweredImage } from './prediction-log/answers'
import type { PredictionSink, RequestOrigin } from './prediction-log/record'

export interface PredictResult {
  model: string
  model_version: string
  predictions: Prediction[][]
  /** Images answered from the result cache (they cost no preprocessing or inference). */
  cachedImages: number
  timings: { decodeWaitMs: number; preprocessMs: number; queueMs: number; inferenceMs: number; batchSizes: number[] }
}

/**
 * use: read and write the cache; refresh: skip the read, store the fresh answer; read: read it, store nothing (a bulk
 * job's images: thousands of answers nobody asks for twice must not push out the ones requests repeat); off: neither.
 */
export type CacheMode = 'use' | 'refresh' | 'read' | 'off'

export interface PredictOptions {
  topK: number
  signal?: AbortSignal
  cache?: CacheMode
  /** Called once the images are decoded: their encoded bytes are dropped then (e.g. to release a body budget). */
  onDecoded?: () => void
  /** Scores as the model outputs them, never softmaxed (/v2's classification extension, as Triton does it); cached apart. */
  rawScores?: boolean
  /** Who asked, for the prediction log; without it nothing is logged. */
  origin?: RequestOrigin
  /**
   * background: a bulk job's image. It holds no queue room, decodes and runs only where no request's image waits
   * (decideBackground), and stays out of the request latency metrics (its waiting is by design).
   */
  priority?: Priority
}

/** What an image's slot holds once decoded, so its encoded bytes can be collected while it waits in the queue. */
const DECODED = new Uint8Array(0)

/** Model lookup, result cache, preprocessing before queueing, batching and postprocessing: the predict use case without HTTP. */
export class Predictor {
  /** By spec object, so a model unloaded and loaded again (the repository extension) never meets a stale one. */
  private readonly preprocessors = new WeakMap<ModelSpec, Preprocessor>()
  /** Decodes at once across all requests: beyond one per core they only contend and hold memory. */
  private readonly decodes: Semaphore

  constructor(
    readonly catalog: ModelCatalog,
    private readonly batcher: Batcher,
    private readonly limits: ImageLimits & { maxConcurrentDecodes: number },
    private readonly metrics?: Metrics,
    private readonly cache?: ResultCache,
    private readonly predictionLog?: PredictionSink
  ) {
    for (const spec of catalog.specs()) this.preprocessors.set(spec, new Preprocessor(spec, limits))
    this.decodes = new Semaphore(limits.maxConcurrentDecodes || availableParallelism())
  }

  /** Whether a result cache is on (the /v2 raw output then goes through predict, so the cache answers it too). */
  get caching(): boolean {
    return this.cache !== undefined
  }

  /**
   * Checked before the body is read: 404 for an unknown model or version, and 429 when its queue has no
   * room at all. When the request may read the result cache, a full queue is no reason to refuse yet:
   * its images may be cached, and only those that are not need room (predict admits them).
   */
  checkBeforeBody(name: string, version: string | undefined, cache: CacheMode = 'use'): void {
    const model = this.catalog.resolve(name, version)
    if (!this.cache || cache !== 'use') this.batcher.checkRoom(model.key, 1)
  }

  /** Classifies with `name` at `version` (default: the model's default version). Empties `images`' slots once decoded. */
  async predict(name: string, version: string | undefined, images: Uint8Array[], options: PredictOptions): Promise<PredictResult> {
    const model = this.catalog.resolve(name, version)
    checkTopKFor(options.topK, model)
    const started = performance.now()
    const modelVersion = String(model.version)
    const mode = this.cache ? (options.cache ?? 'use') : 'off'
    // Raw and softmaxed scores are different answers, so they are different keys; the model file's digest is in the key too.
    const keys = mode === 'off' ? [] : images.map((bytes) => cacheKeyFor(bytes, model, options.topK, options.rawScores))
    // The log keeps each image's SHA-256: the cache key ends with it, else it is taken before the bytes are dropped.
    const digests = this.predictionLog && options.origin ? images.map((bytes, i) => keys[i]?.slice(-64) ?? imageDigest(bytes)) : undefined
    const cached = mode === 'use' || mode === 'read' ? await Promise.all(keys.map((key) => this.cache!.get(key))) : []
    const predictions: Prediction[][] = images.map((_, i) => cached[i]?.predictions ?? [])
    const missing = images.map((_, i) => i).filter((i) => !cached[i])
    const timings = { decodeWaitMs: 0, preprocessMs: 0, queueMs: 0, inferenceMs: 0, batchSizes: images.map(() => 0) }
    const answered: AnsweredImage[] = images.map((_, i) => ({
      top: cached[i] ? topOfAnswer(model, cached[i].predictions, options.rawScores === true) : [],
      batchSize: 0,
      cached: cached[i] !== undefined,
      imageSha256: digests?.[i] ?? null
    }))

    if (missing.length > 0) {
      // Room in the queue is taken before decoding: under overload a request is refused before it costs CPU.
      const background = options.priority === 'background'
      const admission = background ? this.batcher.admitBackground(model.key, missing.length) : this.batcher.admit(model.key, missing.length)
      let results: ImageResult[]
      try {
        // Once decoded, the encoded bytes are dropped (they are the bulk of a request's memory while it queues).
        const batch = missing.map((i) => images[i]!)
        const computed = await this.decodeAndSubmit(model, batch, options, admission, () => {
          batch.fill(DECODED)
          for (const i of missing) images[i] = DECODED
          options.onDecoded?.()
        })
        results = computed.results
        timings.preprocessMs = computed.preprocessMs
        timings.decodeWaitMs = computed.decodeWaitMs
      } finally {
        admission.release()
      }
      Object.assign(timings, slowest(results))
      results.forEach(({ scores, batchSize }, j) => {
        const i = missing[j]!
        const softmaxed = model.manifest.output.kind === 'logits' && !options.rawScores
        predictions[i] = topK(softmaxed ? softmax(scores) : scores, options.topK, model.labels)
        timings.batchSizes[i] = batchSize
        answered[i]!.top = options.rawScores ? topFromScores(model, scores) : topOfAnswer(model, predictions[i]!, false)
        answered[i]!.batchSize = batchSize
        if (mode === 'use' || mode === 'refresh') this.cache!.set(keys[i]!, { predictions: predictions[i]!, model_version: modelVersion })
      })
      if (!background) this.observe(model.name, modelVersion, missing.length, timings, performance.now() - started)
    }
    this.answered(model, answered, timings, performance.now() - started, options.origin, options.priority)
    return { model: model.name, model_version: modelVersion, predictions, cachedImages: images.length - missing.length, timings }
  }

  /**
   * The model's raw outputs for encoded images (no softmax, no top k, no cache): the /v2 BYTES input
   * asked for the raw output tensor while no result cache is on. Stage metrics as for predict.
   * The same admission, decoding and batching as predict, so /v1 and /v2 requests share batches.
   */
  async scores(name: string, version: string | undefined, images: Uint8Array[], options: Pick<PredictOptions, 'signal' | 'origin'>) {
    const model = this.catalog.resolve(name, version)
    const started = performance.now()
    const digests = this.predictionLog && options.origin ? images.map(imageDigest) : undefined
    const admission = this.batcher.admit(model.key, images.length)
    try {
      const { results, preprocessMs, decodeWaitMs } = await this.decodeAndSubmit(model, images, options, admission)
      const timings = this.observeRun(model, results, preprocessMs, started, decodeWaitMs)
      const answered = results.map(({ scores, batchSize }, i) => ({
        top: topFromScores(model, scores),
        batchSize,
        cached: false,
        imageSha256: digests?.[i] ?? null
      }))
      this.answered(model, answered, timings, performance.now() - started, options.origin)
      return { results, timings }
    } finally {
      admission.release()
    }
  }

  /**
   * Tensors already in a model's own input form (the /v2 tensor input): no decoding, straight to the
   * batcher. Float tensors go to the model's tensor queue; uint8 ones arrive as queued RGB bytes.
   */
  async submitTensors(model: ModelSpec, inputs: Array<Uint8Array | Float32Array>, signal?: AbortSignal) {
    const started = performance.now()
    const queue = inputs[0] instanceof Float32Array ? tensorQueueKey(model) : model.key
    const results = await this.batcher.submit(queue, inputs, { signal })
    // The same stage metrics as images (preprocess 0: a tensor needs none), under its model version.
    return { results, timings: this.observeRun(model, results, 0, started) }
  }

  /** The stage timings of computed images (the slowest image's queue and inference time), observed in the metrics. */
  private observeRun(model: ModelSpec, results: readonly ImageResult[], preprocessMs: number, started: number, decodeWaitMs = 0) {
    const timings = { decodeWaitMs, preprocessMs, ...slowest(results), batchSizes: [] }
    this.observe(model.name, String(model.version), results.length, timings, performance.now() - started)
    return timings
  }

  /** Decodes the images in parallel (sharp runs on libuv threads; the first bad one fails the request), then queues them. */
  private async decodeAndSubmit(
    model: ModelSpec,
    images: Uint8Array[],
    options: Pick<PredictOptions, 'signal'>,
    admission: Admission,
    afterDecode?: () => void
  ) {
    // Models loaded at run time (the repository extension) get theirs on first use.
    let preprocessor = this.preprocessors.get(model)
    if (!preprocessor) this.preprocessors.set(model, (preprocessor = new Preprocessor(model, this.limits)))
    const preprocessStarted = performance.now()
    // When the request's last image got its decode slot: before it, the request waited; after it, it decoded.
    let lastSlotAt = preprocessStarted
    const decode = (bytes: Uint8Array) => {
      if (options.signal?.aborted) throw options.signal.reason // gone while waiting for a decode slot: skip the work
      lastSlotAt = Math.max(lastSlotAt, performance.now())
      return preprocessor.run(bytes)
    }
    // Images that decoding makes bigger (a 40 KB photo becomes a 150 KB crop) wait encoded while the workers have
    // enough decoded ones ahead; larger uploads decode at once, as their crop is the smaller form to hold.
    const encodedBytes = images.reduce((sum, bytes) => sum + bytes.byteLength, 0)
    if (encodedBytes < images.length * model.inputElements) await admission.turn(options.signal)
    const tensors = await Promise.all(images.map((bytes) => this.decodes.run(() => decode(bytes), admission.priority)))
    const preprocessMs = performance.now() - lastSlotAt
    const decodeWaitMs = lastSlotAt - preprocessStarted
    afterDecode?.()
    // submit() refuses an aborted signal itself, before anything is queued.
    const results = await this.batcher.submit(model.key, tensors, { signal: options.signal, admission })
    return { results, preprocessMs, decodeWaitMs }
  }

  /** Every answered image: the label metrics, and a record in the prediction log when the request says who asked. */
  private answered(
    model: ModelSpec,
    images: readonly AnsweredImage[],
    timings: { preprocessMs: number; queueMs: number; inferenceMs: number },
    totalMs: number,
    origin: RequestOrigin | undefined,
    priority: Priority = 'interactive'
  ): void {
    if (this.metrics) {
      const labels = { model: model.name, version: String(model.version) }
      for (const { top, cached } of images) {
        const first = top[0]!
        this.metrics.predictions.inc({ ...labels, label: first.label })
        if (first.score !== null) this.metrics.confidence.observe(labels, first.score)
        if (!cached && priority === 'interactive') this.metrics.observeDuration(labels, first.label, totalMs / 1000)
      }
    }
    if (this.predictionLog && origin)
      for (const record of recordsOf(model, origin, images, timings, totalMs)) this.predictionLog.add(record)
  }

  private observe(model: string, version: string, images: number, t: PredictResult['timings'], totalMs: number): void {
    if (!this.metrics) return
    const stage = this.metrics.stageDuration
    for (let i = 0; i < images; i++) {
      stage.observe({ model, version, stage: 'decode_wait' }, t.decodeWaitMs / 1000)
      stage.observe({ model, version, stage: 'preprocess' }, t.preprocessMs / 1000)
      stage.observe({ model, version, stage: 'queue' }, t.queueMs / 1000)
      stage.observe({ model, version, stage: 'inference' }, t.inferenceMs / 1000)
      stage.observe({ model, version, stage: 'total' }, totalMs / 1000)
    }
  }
}

/** A request's queue and inference time: its slowest image's (the images of one request may run in several batches). */
function slowest(results: readonly ImageResult[]): { queueMs: number; inferenceMs: number } {
  return { queueMs: Math.max(...results.map((r) => r.queueMs)), inferenceMs: Math.max(...results.map((r) => r.inferenceMs)) }
}
