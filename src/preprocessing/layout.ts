import { buildLookupTables, hwcToChw, type Normalisation } from './normalise'

/** How a graph wants its image input: what the worker turns queued RGB bytes (HWC) into. */
export interface InputLayout {
  datatype: 'float32' | 'uint8'
  layout: 'NCHW' | 'NHWC'
  channelOrder: 'RGB' | 'BGR'
  height: number
  width: number
  /** Absent: raw 0–255 values (uint8 graphs, or graphs that normalise themselves). */
  normalise?: Normalisation
}

/** The shape of one image in the graph's own axis order (no batch axis). */
export function imageShape(input: Pick<InputLayout, 'layout' | 'height' | 'width'>): [number, number, number] {
  return input.layout === 'NCHW' ? [3, input.height, input.width] : [input.height, input.width, 3]
}

/** Identity tables (value → value) for a float graph that takes raw pixel values. */
const RAW: Float32Array[] = buildLookupTables({ scale: 1, mean: [0, 0, 0], std: [1, 1, 1] })

/**
 * Turns batches of queued RGB bytes (HWC per image) into the graph's input tensor. Buffers are reused
 * across runs (grown as needed), so a batch allocates nothing; the returned view is valid until the next call.
 */
export class TensorBuilder {
  private readonly tables: Float32Array[]
  private floats = new Float32Array(0)
  private bytes = new Uint8Array(0)

  constructor(private readonly input: InputLayout) {
    this.tables = input.normalise ? buildLookupTables(input.normalise) : RAW
  }

  build(rgb: Uint8Array): Float32Array | Uint8Array {
    const { datatype, layout, channelOrder } = this.input
    if (datatype === 'uint8') {
      // Queued bytes already are uint8 NHWC RGB: the common uint8 graph needs no copy at all.
      if (layout === 'NHWC' && channelOrder === 'RGB') return rgb
      if (this.bytes.length < rgb.length) this.bytes = new Uint8Array(rgb.length)
      return this.convert(rgb, (_c, v) => v, this.bytes.subarray(0, rgb.length))
    }
    if (this.floats.length < rgb.length) this.floats = new Float32Array(rgb.length)
    const out = this.floats.subarray(0, rgb.length)
    if (layout === 'NCHW' && channelOrder === 'RGB') {
      // The default models' path: one table lookup per value, planar writes.
      const perImage = this.input.height * this.input.width * 3
      for (let at = 0; at < rgb.length; at += perImage) hwcToChw(rgb.subarray(at, at + perImage), this.tables, out, at)
      return out
    }
    const tables = this.tables
    return this.convert(rgb, (c, v) => tables[c]![v]!, out)
  }

  /** Any layout and channel order; `value(rgbChannel, byte)` gives the element to store. */
  private convert<T extends Float32Array | Uint8Array>(rgb: Uint8Array, value: (c: number, v: number) => number, out: T): T {
    forEachElement(this.input, rgb.length, (graphAt, rgbAt, c) => (out[graphAt] = value(c, rgb[rgbAt]!)))
    return out
  }
}

/**
 * The inverse of TensorBuilder for uint8 graphs: a client's tensor in the graph's own layout and channel
 * order → the RGB HWC bytes the queue holds. Lossless, so a uint8 tensor input shares the image queue.
 */
export function toQueuedRgb(tensor: Uint8Array, input: Pick<InputLayout, 'layout' | 'channelOrder' | 'height' | 'width'>): Uint8Array {
  if (input.layout === 'NHWC' && input.channelOrder === 'RGB') return tensor
  const out = new Uint8Array(tensor.length)
  forEachElement(input, tensor.length, (graphAt, rgbAt) => (out[rgbAt] = tensor[graphAt]!))
  return out
}

/**
 * Visits every element of `length` values (whole images): its index in the graph's layout and channel
 * order, its index in the queued RGB HWC bytes, and which RGB channel it is.
 */
function forEachElement(
  input: Pick<InputLayout, 'layout' | 'channelOrder' | 'height' | 'width'>,
  length: number,
  visit: (graphAt: number, rgbAt: number, rgbChannel: number) => void
): void {
  const plane = input.height * input.width
  const planar = input.layout === 'NCHW'
  const bgr = input.channelOrder === 'BGR'
  for (let image = 0; image < length; image += plane * 3)
    for (let p = 0; p < plane; p++)
      for (let c = 0; c < 3; c++) {
        const source = bgr ? 2 - c : c // graph channel c holds RGB channel `source`
        visit(image + (planar ? c * plane + p : p * 3 + c), image + p * 3 + source, source)
      }
}
