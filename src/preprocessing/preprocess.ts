import sharp, { type SharpOptions } from 'sharp'
import { AppError } from '../errors'
import type { ModelSpec } from '../models/catalog'
import { countJpegScans, readJpegHeader } from './jpeg-header'
import { sniffImageFormat, type ImageFormat } from './sniff'
import { resizeAndCropBox } from './crop-box'

export { resizeAndCropBox } from './crop-box'

export interface ImageLimits {
  maxImageBytes: number
  maxImagePixels: number
  /** Scans a JPEG may have. */
  maxJpegScans: number
  /** Pixels a progressive JPEG may have. */
  maxProgressivePixels: number
}

/** What the checks before decoding need of an image's header. */
interface Header {
  width?: number
  height?: number
  orientation?: number
  progressive?: boolean
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

  /** One image → height × width × 3 RGB bytes (`model.inputElements`). Throws AppError (4xx) for anything the client sent wrong. */
  async run(bytes: Uint8Array): Promise<Uint8Array> {
    if (bytes.length === 0) throw new AppError('invalid_image', 'image is empty (0 bytes)')
    if (bytes.length > this.limits.maxImageBytes)
      throw new AppError('image_too_large', `image is ${bytes.length} bytes; the limit is ${this.limits.maxImageBytes}`)
    const format = sniffImageFormat(bytes)
    if (!format) throw new AppError('unsupported_image_format', 'not a supported image; send JPEG, PNG, WebP, GIF, AVIF or TIFF')

    const { input, preprocessing } = this.model.manifest
    // failOn 'error' rejects truncated files instead of returning grey pixels. limitInputPixels is the decoder's own
    // guard, checked by sharp on the size libjpeg (or libpng, …) reads: it holds whatever the checks below concluded.
    const options = { failOn: 'error', limitInputPixels: this.limits.maxImagePixels, sequentialRead: true } as const
    // Header only: no pixels are decoded, so the checks below can refuse a bomb with a clear 413.
    // A JPEG's markers are read here in JavaScript as libjpeg reads them; anything it is unsure of goes to sharp.
    const meta: Header = (format === 'jpeg' && readJpegHeader(bytes)) || (await readHeader(bytes, format, options))
    const { width: w, height: h } = this.checkHeader(bytes, format, meta)
    const [width, height] = swapsAxes(meta.orientation) ? [h, w] : [w, h]
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
      if (/exceeds pixel limit/i.test((error as Error).message))
        throw new AppError('image_too_large', `the decoder found more than ${this.limits.maxImagePixels} pixels`, { cause: error })
      throw new AppError('invalid_image', `could not decode the ${format} image (truncated or corrupt?)`, { cause: error })
    }
    if (rgb.length !== this.model.inputElements)
      throw new Error(`preprocess produced ${rgb.length} bytes, expected ${this.model.inputElements}`)
    return new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length)
  }

  /**
   * The limits a header shows before any pixel is decoded (413 image_too_large): pixels; for a progressive JPEG,
   * which libjpeg decodes from a buffer of every coefficient of the image (2 bytes each, 64 per 8×8 block and
   * channel), a lower pixel bound; for any JPEG, its scans, since each scan is a pass over that buffer and a small
   * file can hold thousands of them (libjpeg-turbo's advice for untrusted input is a scan limit).
   */
  private checkHeader(bytes: Uint8Array, format: ImageFormat, meta: Header): { width: number; height: number } {
    const { width, height } = meta
    if (!width || !height) throw new AppError('invalid_image', `${format} image has no dimensions`)
    const pixels = width * height
    if (pixels > this.limits.maxImagePixels)
      throw new AppError('image_too_large', `image is ${width}×${height} pixels; the limit is ${this.limits.maxImagePixels} pixels`)
    if (format !== 'jpeg') return { width, height }
    const { maxProgressivePixels: maxProgressive, maxJpegScans: maxScans } = this.limits
    if (meta.progressive && pixels > maxProgressive)
      throw new AppError(
        'image_too_large',
        `progressive JPEG is ${width}×${height} pixels; the limit for progressive JPEGs is ${maxProgressive} pixels`
      )
    const scans = countJpegScans(bytes, maxScans)
    if (scans > maxScans) throw new AppError('image_too_large', `JPEG has more than ${maxScans} scans; the limit is ${maxScans}`)
    return { width, height }
  }
}

/** sharp's header read, for every format but a JPEG whose markers were read in JavaScript. */
async function readHeader(bytes: Uint8Array, format: string, options: SharpOptions): Promise<Header> {
  try {
    const { width, height, orientation, isProgressive } = await sharp(bytes, { ...options, limitInputPixels: false }).metadata()
    return { width, height, orientation, progressive: isProgressive }
  } catch (error) {
    throw new AppError('invalid_image', `could not read the ${format} header`, { cause: error })
  }
}
