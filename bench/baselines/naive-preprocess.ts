/**
 * The naive baseline's preprocessing, the way a careful straight port writes it: one sharp pass from the
 * encoded bytes to raw RGB (orient, resize the shorter side, centre-crop — the server's geometry and
 * kernel), then (x / 255 − mean) / std into a CHW float tensor.
 */
import sharp from 'sharp'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { resizeAndCropBox } from '../../src/preprocessing/preprocess'

export const MODEL_DIR = join(import.meta.dir, '../../models/mobilenetv2')
export const manifest = JSON.parse(readFileSync(join(MODEL_DIR, 'model.json'), 'utf8'))
const { mean, std, resizeShorterSide, kernel } = manifest.preprocessing as {
  mean: number[]
  std: number[]
  resizeShorterSide: number
  kernel: 'nearest' | 'linear' | 'cubic' | 'lanczos3'
}
const size = manifest.input.width as number

/** Encoded image → height × width × 3 RGB bytes, in one decode. */
export async function toRgb(bytes: Uint8Array): Promise<Buffer> {
  // The header (no pixels) gives the size after EXIF orientation, which the crop box needs.
  const { autoOrient } = await sharp(bytes).metadata()
  const box = resizeAndCropBox(autoOrient.width, autoOrient.height, resizeShorterSide, size, size)
  return sharp(bytes)
    .autoOrient()
    .removeAlpha()
    .toColourspace('srgb')
    .resize(box.resizedW, box.resizedH, { fit: 'fill', kernel })
    .extract({ left: box.left, top: box.top, width: size, height: size })
    .raw()
    .toBuffer()
}

/** Encoded image → the model's normalised 1 × 3 × size × size float input. */
export async function toTensor(bytes: Uint8Array): Promise<Float32Array> {
  return normalise(await toRgb(bytes))
}

/** Height × width × 3 RGB bytes → (x / 255 − mean) / std, channels first. */
export function normalise(rgb: Uint8Array): Float32Array {
  const plane = size * size
  const out = new Float32Array(3 * plane)
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = (rgb[i * 3 + c]! / 255 - mean[c]!) / std[c]!
  return out
}

/**
 * onnxruntime's defaults, as a careful port on a machine of `cores` cores gets them. Its default intra-op pool has
 * one thread per physical core of the whole machine and ignores the process's CPU affinity: a bench pinned to 2 cores
 * of a 16-core machine (taskset) would give the baseline a pool sized for 16, a handicap no 2-core machine has.
 * So a pinned process asks for the cores it may use, what the default gives on a machine of that size.
 */
export function sessionOptions(cores: number, coresOnline: number): { intraOpNumThreads?: number } {
  return cores < coresOnline ? { intraOpNumThreads: cores } : {}
}
