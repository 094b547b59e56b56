import sharp, { type Metadata, type SharpOptions } from 'sharp'
import { AppError } from '../errors'
import type { ModelSpec } from '../models/registry'
import { readJpegHeader, type JpegHeader } from './jpeg-header'
import { sniffImageFormat } from './sniff'
import { resizeAndCropBox } from './crop-box'

export { resizeAndCropBox } from './crop-box'

export interface ImageLimits {
  maxImageBytes: number
  maxImagePixels: number
}

/** Orientation values 5–8 swap width and height once EXIF rotation is applied. */
const swapsAxes = (orientation: number | undefined) => orientation !== undefined && orientation >= 5

/**
 * Decodes, orients, resizes and crops one image for one model: the queue only ever holds these.
 * The result stays 8-bit RGB (HWC): a quarter of the bytes of float32 to queue, copy and transfer;
 * the inference worker normalises it to CHW floats off the HTTP thread (src/inference/worker.ts).
 */
export class Preprocessor {
  constructor(
    private readonly model: ModelSpec,
    private readonly limits: ImageLimits
  ) {}

  /**
   * The header of a JPEG that passes this Preprocessor's first checks (size, format, pixel limit) and needs no EXIF
   * rotation: one a worker may decode itself (src/preprocessing/vips-direct.ts). Undefined for anything else, which
   * run() decodes, or refuses with its 4xx.
   */
  plainJpeg(bytes: Uint8Array): JpegHeader | undefined {
    if (bytes.length === 0 || bytes.length > this.limits.maxImageBytes || sniffImageFormat(bytes) !== 'jpeg') return undefined
    const header = readJpegHeader(bytes)
    if (!header || (header.orientation ?? 1) !== 1 || header.width * header.height > this.limits.maxImagePixels) return undefined
    return header
  }

  /** One image → height × width × 3 RGB bytes (`model.inputElements`). Throws AppError (4xx) for anything the client sent wrong. */
  async run(bytes: Uint8Array): Promise<Uint8Array> {
    if (bytes.length === 0) throw new AppError('invalid_image', 'image is empty (0 bytes)')
    if (bytes.length > this.limits.maxImageBytes)
      throw new AppError('image_too_large', `image is ${bytes.length} bytes; the limit is ${this.limits.maxImageBytes}`)
    const format = sniffImageFormat(bytes)
    if (!format) throw new AppError('unsupported_image_format', 'not a supported image; send JPEG, PNG, WebP, GIF, AVIF or TIFF')

    const { input, preprocessing } = this.model.manifest
    // failOn 'error' rejects truncated files instead of returning grey pixels; limitInputPixels is
    // sharp's own guard, ours (below) runs first from the header alone so a bomb is never decoded.
    const options = { failOn: 'error', limitInputPixels: this.limits.maxImagePixels, sequentialRead: true } as const
    // Header only: no pixels are decoded, so the pixel check below can refuse a bomb with a clear 413.
    // A JPEG's markers are read here in JavaScript; anything it is unsure of goes to sharp.
    const meta = (format === 'jpeg' && readJpegHeader(bytes)) || (await readHeader(bytes, format, options))
    if (!meta.width || !meta.height) throw new AppError('invalid_image', `${format} image has no dimensions`)
    if (meta.width * meta.height > this.limits.maxImagePixels)
      throw new AppError(
        'image_too_large',
        `image is ${meta.width}×${meta.height} pixels; the limit is ${this.limits.maxImagePixels} pixels`
      )
    const [width, height] = swapsAxes(meta.orientation) ? [meta.height, meta.width] : [meta.width, meta.height]
    const box = resizeAndCropBox(width, height, preprocessing.resizeShorterSide, input.width, input.height)

    let rgb: Buffer
    try {
      rgb = await sharp(bytes, options)
        .rotate()
        .removeAlpha()
        .toColourspace('srgb')
        .resize(box.resizedW, box.resizedH, { fit: 'fill', kernel: preprocessing.kernel })
        .extract({ left: box.left, top: box.top, width: input.width, height: input.height })
        .raw()
        .toBuffer()
    } catch (error) {
      throw new AppError('invalid_image', `could not decode the ${format} image (truncated or corrupt?)`, { cause: error })
    }
    if (rgb.length !== this.model.inputElements)
      throw new Error(`preprocess produced ${rgb.length} bytes, expected ${this.model.inputElements}`)
    return new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length)
  }
}

/** sharp's header read, for every format but a plain JPEG. */
async function readHeader(bytes: Uint8Array, format: string, options: SharpOptions): Promise<Metadata> {
  try {
    return await sharp(bytes, { ...options, limitInputPixels: false }).metadata()
  } catch (error) {
    throw new AppError('invalid_image', `could not read the ${format} header`, { cause: error })
  }
}
