import type { ImageResult } from '../batching/batcher'
import { topK, type Prediction } from '../inference/postprocess'
import type { ModelSpec } from '../models/catalog'
import type { CacheMode, Predictor } from '../predictor'
import { classificationStrings } from './classification'
import { V2Error } from './error'
import type { ModelInput } from './inputs'
import { v2Interface } from './model-interface'
import type { InferRequest, RequestedOutput } from './request'
import type { OutputTensor } from './response'
import type { StageTimings } from '../tracing/tracing'
import type { RequestOrigin } from '../prediction-log/record'

/** What /v2 inference needs: classification through predict (cache included), raw scores, tensors straight to the batcher. */
export type V2Service = Pick<Predictor, 'checkBeforeBody' | 'predict' | 'scores' | 'submitTensors' | 'caching'>

/** What the model answered: every score of every image, or (classification only) each image's top classes; and when. */
export type ModelAnswer = ({ kind: 'scores'; results: readonly ImageResult[] } | { kind: 'top'; predictions: Prediction[][] }) & {
  timings: StageTimings
}

/** The outputs a request asks for, checked before any work: the model's one output, raw or classified. */
export function requestedOutputs(spec: ModelSpec, request: InferRequest): RequestedOutput[] {
  const { output } = v2Interface(spec)
  // No `outputs`: every output of the model, in the form binary_data_output asks (the spec's default).
  const outputs = request.outputs ?? [{ name: output.name }]
  for (const o of outputs)
    if (o.name !== output.name) throw new V2Error(`model ${spec.name} has no output "${o.name.slice(0, 64)}" (outputs: "${output.name}")`)
  return outputs
}

/**
 * Runs the request through the same path as /v1. Images asked only for classification go through
 * predict (result cache, stage metrics; the key holds k and "raw scores"); images asked for the raw
 * output too, with every class, while a result cache is on (else through scores); tensors go straight to the
 * batcher.
 */
export async function runModel(
  predictor: V2Service,
  spec: ModelSpec,
  input: ModelInput,
  outputs: readonly RequestedOutput[],
  options: { signal: AbortSignal; cache: CacheMode; origin?: RequestOrigin }
): Promise<ModelAnswer> {
  const version = String(spec.version)
  if (input.kind === 'tensors') {
    const { results, timings } = await predictor.submitTensors(spec, input.tensors, options.signal)
    return { kind: 'scores', results, timings }
  }
  if (outputs.every((o) => o.classification)) {
    // Triton gives min(k, classes) entries for a k beyond the class count.
    const k = Math.min(Math.max(...outputs.map((o) => o.classification!)), spec.manifest.output.classes)
    const result = await predictor.predict(spec.name, version, input.images, { topK: k, rawScores: true, ...options })
    return { kind: 'top', predictions: result.predictions, timings: result.timings }
  }
  if (predictor.caching && options.cache !== 'off') {
    // Every class's raw score through predict, so the result cache keeps and answers the raw output too (its
    // entries hold each score as the float it was: the tensor comes back exactly, but for a -0 read back as 0).
    const classes = spec.manifest.output.classes
    const result = await predictor.predict(spec.name, version, input.images, { topK: classes, rawScores: true, ...options })
    return { kind: 'top', predictions: result.predictions, timings: result.timings }
  }
  const { results, timings } = await predictor.scores(spec.name, version, input.images, options)
  return { kind: 'scores', results, timings }
}

/**
 * The response tensors: the model's raw output (logits or probabilities, as the manifest says) as FP32
 * [N, classes], or with `classification: k` the extension's BYTES [N, k] of "score:index:label", scores
 * as the model output them (as Triton does: it classifies the output tensor itself, no softmax).
 */
export function toOutputTensors(
  spec: ModelSpec,
  answer: ModelAnswer,
  outputs: readonly RequestedOutput[],
  binaryByDefault: boolean
): OutputTensor[] {
  const classes = spec.manifest.output.classes
  return outputs.map(({ name, binaryData, classification }) => {
    const binary = binaryData ?? binaryByDefault
    if (classification) {
      const k = Math.min(classification, classes)
      const tops =
        answer.kind === 'top' ? answer.predictions.map((p) => p.slice(0, k)) : answer.results.map((r) => topK(r.scores, k, spec.labels))
      return { name, datatype: 'BYTES', shape: [tops.length, k], data: tops.flatMap(classificationStrings), binary }
    }
    const rows = answer.kind === 'scores' ? answer.results.map((r) => r.scores) : answer.predictions.map((p) => scoresOf(p, classes))
    const data = new Float32Array(rows.length * classes)
    rows.forEach((row, i) => data.set(row, i * classes))
    return { name, datatype: 'FP32', shape: [rows.length, classes], data, binary }
  })
}

/** An image's output row back from its predictions, which must hold every class (the raw output through predict). */
function scoresOf(predictions: readonly Prediction[], classes: number): Float32Array {
  if (predictions.length !== classes) throw new Error(`raw output needs all ${classes} classes, got ${predictions.length} (runModel bug)`)
  const row = new Float32Array(classes)
  for (const p of predictions) row[p.class_index] = p.score
  return row
}
