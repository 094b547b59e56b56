import type { ImageResult } from '../batching/batcher'
import type { ModelSpec } from '../models/registry'
import type { Predictor } from '../predictor'
import { classificationStrings } from './classification'
import { V2Error } from './error'
import type { ModelInput } from './inputs'
import { v2Interface } from './model-interface'
import type { InferRequest, RequestedOutput } from './request'
import type { OutputTensor } from './response'

/** What /v2 inference needs beyond /v1's: raw scores for encoded images, and tensors straight to the batcher. */
export type V2Service = Pick<Predictor, 'scores' | 'submitTensors'>

/** The outputs a request asks for, checked before any work: the model's one output, raw or classified. */
export function requestedOutputs(spec: ModelSpec, request: InferRequest): RequestedOutput[] {
  const { output } = v2Interface(spec)
  // No `outputs`: every output of the model, in the form binary_data_output asks (the spec's default).
  const outputs = request.outputs ?? [{ name: output.name }]
  for (const o of outputs)
    if (o.name !== output.name) throw new V2Error(`model ${spec.name} has no output "${o.name.slice(0, 64)}" (outputs: "${output.name}")`)
  return outputs
}

/** Runs the request's images or tensors through the same batcher as /v1; resolves with one result per image. */
export function runModel(predictor: V2Service, spec: ModelSpec, input: ModelInput, signal: AbortSignal): Promise<ImageResult[]> {
  if (input.kind === 'images') return predictor.scores(spec.name, String(spec.version), input.images, { signal }).then((r) => r.results)
  return predictor.submitTensors(spec, input.tensors, signal)
}

/**
 * The response tensors: the model's raw output (logits or probabilities, as the manifest says) as FP32
 * [N, classes], or with `classification: k` the extension's BYTES [N, k] of "score:index:label", scores
 * as the model output them (as Triton does: it classifies the output tensor itself, no softmax).
 */
export function toOutputTensors(spec: ModelSpec, results: readonly ImageResult[], outputs: readonly RequestedOutput[], binaryByDefault: boolean): OutputTensor[] {
  const classes = spec.manifest.output.classes
  return outputs.map(({ name, binaryData, classification }) => {
    const binary = binaryData ?? binaryByDefault
    if (classification) {
      const perImage = results.map((r) => classificationStrings(r.scores, classification, spec.labels))
      return { name, datatype: 'BYTES', shape: [results.length, perImage[0]?.length ?? 0], data: perImage.flat(), binary }
    }
    const data = new Float32Array(results.length * classes)
    results.forEach((r, i) => data.set(r.scores, i * classes))
    return { name, datatype: 'FP32', shape: [results.length, classes], data, binary }
  })
}
