import { decodeBase64Image, type BodyLimits } from '../http/predict-body'
import { AppError } from '../errors'
import type { ModelSpec } from '../models/catalog'
import { toQueuedRgb } from '../preprocessing/layout'
import { elementCount } from './datatypes'
import { V2Error } from './error'
import { v2Interface } from './model-interface'
import type { RequestInput } from './input-data'
import type { DeclaredInput } from './request'

/** What a request asks the model to run on: encoded images (preprocessed like /v1), or ready tensors. */
export type ModelInput =
  | { kind: 'images'; images: Uint8Array[] }
  /** One entry per image: floats in the graph's layout, or (uint8 graphs) the RGB HWC bytes the queue holds. */
  | { kind: 'tensors'; tensors: Array<Uint8Array | Float32Array> }

const showShape = (shape: readonly (number | string)[]) => `[${shape.join(',')}]`

/**
 * Checks the request's declared inputs against the model's interface; 400 naming the input and what was expected,
 * 413 for more images than allowed. Runs on names, datatypes and shapes alone, before any data is decoded, so a
 * shape no request to this model can have never sizes an allocation.
 */
export function checkModelInputs(spec: ModelSpec, inputs: readonly DeclaredInput[], limits: Pick<BodyLimits, 'maxImagesPerRequest'>): void {
  const { tensorInput, imageInput } = v2Interface(spec)
  if (inputs.length !== 1)
    throw new V2Error(`model ${spec.name} takes exactly one input, "${tensorInput.name}" or "${imageInput.name}"; got ${inputs.length}`)
  const input = inputs[0]!
  const count = input.shape[0] ?? 0
  if (count > limits.maxImagesPerRequest)
    throw new AppError('too_many_images', `input "${input.name}" holds ${count} images; the limit is ${limits.maxImagesPerRequest}`)
  if (input.name === imageInput.name) {
    if (input.datatype !== 'BYTES' || input.shape.length !== 1 || count < 1)
      throw new V2Error(
        `input "${input.name}": expected BYTES [N] (one encoded image per element, N ≥ 1), got ${input.datatype} ${showShape(input.shape)}`
      )
    return
  }
  if (input.name !== tensorInput.name)
    throw new V2Error(`model ${spec.name} has no input "${input.name.slice(0, 64)}" (inputs: "${tensorInput.name}", "${imageInput.name}")`)
  const expected = [count, ...tensorInput.imageShape]
  if (input.datatype !== tensorInput.datatype || input.shape.length !== 4 || count < 1 || input.shape.some((d, i) => d !== expected[i]))
    throw new V2Error(
      `input "${input.name}": expected ${tensorInput.datatype} ${showShape(['N', ...tensorInput.imageShape])} with N ≥ 1, got ${input.datatype} ${showShape(input.shape)}`
    )
}

/** The request's one decoded input as the model's input (checked again: cheap, and this must not trust its caller). */
export function toModelInput(spec: ModelSpec, inputs: readonly RequestInput[], limits: BodyLimits): ModelInput {
  checkModelInputs(spec, inputs, limits)
  const { tensorInput, imageInput } = v2Interface(spec)
  const input = inputs[0]!
  const count = input.shape[0]!
  if (input.name === imageInput.name) {
    const elements = input.data as Uint8Array[]
    // In JSON an element is text, so it carries the image in base64 (a data: URL too); in binary, the file bytes.
    const images = input.binary ? elements : elements.map((e, i) => decodeBase64Image(new TextDecoder().decode(e), i, limits))
    for (const image of images)
      if (image.length > limits.maxImageBytes)
        throw new AppError('image_too_large', `an image is ${image.length} bytes; the limit is ${limits.maxImageBytes}`)
    return { kind: 'images', images }
  }
  const perImage = elementCount(tensorInput.imageShape)
  const data = input.data as Float32Array | Uint8Array
  const tensors = Array.from({ length: count }, (_, i) => data.subarray(i * perImage, (i + 1) * perImage))
  if (data instanceof Float32Array) return { kind: 'tensors', tensors }
  return { kind: 'tensors', tensors: tensors.map((t) => toQueuedRgb(t as Uint8Array, spec.manifest.input)) }
}
