import type { Batcher } from './batching/batcher'
import { AppError } from './errors'
import { softmax, topK, type Prediction } from './inference/postprocess'
import type { Metrics } from './metrics/registry'
import type { ModelCatalog } from './models/registry'
import { Preprocessor, type ImageLimits } from './preprocessing/preprocess'

export interface PredictResult {
  model: string
  model_version: string
  predictions: Prediction[][]
  timings: { preprocessMs: number; queueMs: number; inferenceMs: number; batchSizes: number[] }
}

export interface PredictOptions {
  topK: number
  signal?: AbortSignal
  fault?: 'crash'
}

/** Model lookup, preprocessing before queueing, batching and postprocessing: the predict use case without HTTP. */
export class Predictor {
  private readonly preprocessors = new Map<string, Preprocessor>()

  constructor(
    readonly catalog: ModelCatalog,
    private readonly batcher: Batcher,
    limits: ImageLimits,
    private readonly metrics?: Metrics
  ) {
    for (const spec of catalog.specs()) this.preprocessors.set(spec.key, new Preprocessor(spec, limits))
  }

  /** Classifies with `name` at `version` (default: the model's default version). */
  async predict(name: string, version: string | undefined, images: Uint8Array[], options: PredictOptions): Promise<PredictResult> {
    const model = this.catalog.resolve(name, version)
    if (options.topK > model.labels.length)
      throw new AppError('validation_failed', `top_k must be at most ${model.labels.length} for model ${model.name}`)
    const started = performance.now()
    // All images of the request decode in parallel (sharp runs on libuv threads); the first bad one fails the request.
    const tensors = await Promise.all(images.map((bytes) => this.preprocessors.get(model.key)!.run(bytes)))
    const preprocessMs = performance.now() - started
    if (options.signal?.aborted) throw options.signal.reason

    const results = await this.batcher.submit(model.key, tensors, options.signal, options.fault)
    const predictions = results.map(({ scores }) =>
      topK(model.manifest.output.kind === 'logits' ? softmax(scores) : scores, options.topK, model.labels)
    )
    const timings = {
      preprocessMs,
      queueMs: Math.max(...results.map((r) => r.queueMs)),
      inferenceMs: Math.max(...results.map((r) => r.inferenceMs)),
      batchSizes: results.map((r) => r.batchSize)
    }
    this.observe(model.name, String(model.version), results.length, timings, performance.now() - started)
    return { model: model.name, model_version: String(model.version), predictions, timings }
  }

  private observe(model: string, version: string, images: number, t: PredictResult['timings'], totalMs: number): void {
    if (!this.metrics) return
    const stage = this.metrics.stageDuration
    for (let i = 0; i < images; i++) {
      stage.observe({ model, version, stage: 'preprocess' }, t.preprocessMs / 1000)
      stage.observe({ model, version, stage: 'queue' }, t.queueMs / 1000)
      stage.observe({ model, version, stage: 'inference' }, t.inferenceMs / 1000)
      stage.observe({ model, version, stage: 'total' }, totalMs / 1000)
    }
  }
}
