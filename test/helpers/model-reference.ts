import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import sharp from 'sharp'
import { MODELS_DIR } from '../../tools/model-repo'

// What this machine computes for a shipped model, with no server in between. onnxruntime's int8 kernels take
// different paths on different CPUs (AVX2, AVX-512 VNNI, AMX) and can reorder classes that score close together,
// so a test of the server's numbers compares them with this, not with figures recorded on another machine and
// not with another model's answer.

interface Manifest {
  input: { datatype?: string; height: number; width: number }
  preprocessing: {
    resizeShorterSide: number
    kernel: 'nearest' | 'linear' | 'cubic' | 'lanczos3'
    scale?: number
    mean?: number[]
    std?: number[]
  }
}

export interface GraphInput {
  data: Float32Array | Uint8Array
  shape: number[]
}

const manifestOf = (model: string): Manifest => JSON.parse(readFileSync(join(MODELS_DIR, model, 'model.json'), 'utf8'))

/** A shipped model's first output for one input tensor, run directly with onnxruntime-node (one intra-op thread). */
export async function runGraph(model: string, { data, shape }: GraphInput): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(join(MODELS_DIR, model, '1/model.onnx'), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all'
  })
  try {
    const tensor = data instanceof Float32Array ? new ort.Tensor('float32', data, shape) : new ort.Tensor('uint8', data, shape)
    return (await session.run({ [session.inputNames[0]!]: tensor }))[session.outputNames[0]!]!.data as Float32Array
  } finally {
    await session.release()
  }
}

/**
 * The tensor a model's manifest asks for, for one photo. Written here from the manifest, not imported from
 * src/preprocessing, so a change there that moves a pixel or a channel shows: EXIF rotation, RGB, the shorter
 * side to `resizeShorterSide` (sizes rounded), a centred crop (offsets rounded); then uint8 HWC as it is for a
 * uint8 input, or float CHW as (x / scale − mean) / std.
 */
export async function manifestInput(model: string, photo: Uint8Array): Promise<GraphInput> {
  const { input, preprocessing } = manifestOf(model)
  const { width, height, orientation = 1 } = await sharp(photo).metadata()
  const [w, h] = orientation >= 5 ? [height!, width!] : [width!, height!]
  const scale = preprocessing.resizeShorterSide / Math.min(w, h)
  const [resizedW, resizedH] = [Math.max(input.width, Math.round(w * scale)), Math.max(input.height, Math.round(h * scale))]
  const rgb = await sharp(photo)
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .resize(resizedW, resizedH, { fit: 'fill', kernel: preprocessing.kernel })
    .extract({
      left: Math.round((resizedW - input.width) / 2),
      top: Math.round((resizedH - input.height) / 2),
      width: input.width,
      height: input.height
    })
    .raw()
    .toBuffer()
  if (input.datatype === 'uint8') return { data: new Uint8Array(rgb), shape: [1, input.height, input.width, 3] }
  const { scale: divisor = 1, mean = [0, 0, 0], std = [1, 1, 1] } = preprocessing
  const plane = input.width * input.height
  const chw = new Float32Array(3 * plane)
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) chw[c * plane + i] = (rgb[i * 3 + c]! / divisor - mean[c]!) / std[c]!
  return { data: chw, shape: [1, 3, input.height, input.width] }
}

/** What the graph gives for a photo preprocessed as its manifest says. */
export async function graphAnswer(model: string, photo: Uint8Array): Promise<Float32Array> {
  return runGraph(model, await manifestInput(model, photo))
}

/**
 * The largest difference between a served top-k and the graph's own scores: each served class's score against
 * the graph's score for that class, and the i-th served score against the graph's i-th highest. Scores, not class
 * order: an int8 model often gives two classes exactly the same score, and either may come first.
 */
export function gapFromGraph(served: ReadonlyArray<{ class_index: number; score: number }>, graph: Float32Array): number {
  const highest = Array.from(graph)
    .sort((a, b) => b - a)
    .slice(0, served.length)
  return Math.max(...served.map((p, i) => Math.max(Math.abs(p.score - graph[p.class_index]!), Math.abs(p.score - highest[i]!))))
}
