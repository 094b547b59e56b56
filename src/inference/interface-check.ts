import { imageShape } from '../preprocessing/layout'
import type { WorkerModel } from './protocol'

/** What onnxruntime reports about one graph input or output (the subset we check). */
export interface TensorMetadata {
  name: string
  isTensor: boolean
  type?: string
  shape?: ReadonlyArray<number | string>
}

/** The session facts the manifest is checked against: `ort.InferenceSession` has them all. */
export interface SessionInterface {
  inputNames: readonly string[]
  outputNames: readonly string[]
  inputMetadata: readonly TensorMetadata[]
  outputMetadata: readonly TensorMetadata[]
}

const show = (shape: ReadonlyArray<number | string>) => `[${shape.join(',')}]`
const fits = (actual: ReadonlyArray<number | string>, expected: readonly number[]) =>
  actual.length === expected.length && actual.every((d, i) => typeof d !== 'number' || d === expected[i])

/** The first disagreement between the manifest and the graph, as [field, what the file really has]. */
function firstMismatch(session: SessionInterface, model: WorkerModel): [string, string] | undefined {
  if (!session.inputNames.includes(model.inputName))
    return ['input.name', `"${model.inputName}" is not a graph input (graph has ${session.inputNames.join(', ')})`]
  if (!session.outputNames.includes(model.outputName))
    return ['output.name', `"${model.outputName}" is not a graph output (graph has ${session.outputNames.join(', ')})`]
  const input = session.inputMetadata.find((m) => m.name === model.inputName)
  if (input?.isTensor && input.type !== undefined && input.shape) {
    const { datatype, layout } = model.input
    if (input.type !== datatype) return ['input.datatype', `manifest says ${datatype}, graph input "${input.name}" is ${input.type}`]
    if (input.shape.length !== 4)
      return ['input', `graph input "${input.name}" has rank ${input.shape.length} ${show(input.shape)}, expected 4 (N + image)`]
    const dims = input.shape.slice(1)
    if (!fits(dims, imageShape(model.input))) {
      const other = layout === 'NCHW' ? 'NHWC' : 'NCHW'
      const field = fits(dims, imageShape({ ...model.input, layout: other })) ? 'input.layout' : 'input'
      return [field, `manifest says ${layout} ${show(imageShape(model.input))}, graph input "${input.name}" is ${show(input.shape)}`]
    }
  }
  const output = session.outputMetadata.find((m) => m.name === model.outputName)
  if (output?.isTensor && output.type !== undefined && output.shape) {
    if (output.type !== 'float32')
      return ['output.name', `graph output "${output.name}" is ${output.type}; only float32 scores are supported`]
    const classAxis = output.shape[1]
    if (output.shape.length !== 2 || (typeof classAxis === 'number' && classAxis !== model.classes))
      return ['output.classes', `manifest says ${model.classes} classes, graph output "${output.name}" is ${show(output.shape)}`]
  }
  return undefined
}

/**
 * Refuses a manifest that does not describe its graph: names, datatypes, ranks and fixed dimensions.
 * Throws one line naming the model file, the manifest field and what the file really has.
 */
export function checkInterface(session: SessionInterface, model: WorkerModel): void {
  const mismatch = firstMismatch(session, model)
  if (mismatch) throw new Error(`${model.modelPath} (model.json of "${model.key}"): field "${mismatch[0]}": ${mismatch[1]}`)
}
