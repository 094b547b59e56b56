import type { ModelSpec } from '../models/catalog'
import { imageShape } from '../preprocessing/layout'
import { v2DatatypeOf } from './datatypes'

/** What a model version offers through /v2: its own input tensor, a BYTES input of encoded images, its output. */
export interface V2Interface {
  tensorInput: { name: string; datatype: 'FP32' | 'UINT8'; imageShape: [number, number, number] }
  /** Encoded images (JPEG, PNG, …), one element per image, preprocessed exactly as /v1 does. */
  imageInput: { name: string; datatype: 'BYTES' }
  output: { name: string; datatype: 'FP32'; classes: number }
}

/** The BYTES input is called "image", unless the graph's own input already has that name. */
const IMAGE_INPUT = 'image'

export function v2Interface(spec: ModelSpec): V2Interface {
  const { input, output } = spec.manifest
  return {
    tensorInput: { name: input.name, datatype: v2DatatypeOf(input.datatype), imageShape: imageShape(input) },
    imageInput: { name: input.name === IMAGE_INPUT ? `${IMAGE_INPUT}_bytes` : IMAGE_INPUT, datatype: 'BYTES' },
    output: { name: output.name, datatype: 'FP32', classes: output.classes }
  }
}

/** GET /v2/models/{m}[/versions/{v}]: the spec's model metadata, `-1` for the dynamic batch dimension. */
export function modelMetadata(spec: ModelSpec, versions: readonly ModelSpec[]) {
  const { tensorInput, imageInput, output } = v2Interface(spec)
  return {
    name: spec.name,
    versions: versions.map((v) => String(v.version)),
    platform: spec.manifest.platform,
    inputs: [
      { name: tensorInput.name, datatype: tensorInput.datatype, shape: [-1, ...tensorInput.imageShape] },
      { name: imageInput.name, datatype: imageInput.datatype, shape: [-1] }
    ],
    outputs: [{ name: output.name, datatype: output.datatype, shape: [-1, output.classes] }]
  }
}
