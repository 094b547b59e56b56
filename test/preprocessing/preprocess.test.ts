import { describe, expect, test } from 'bun:test'
import sharp from 'sharp'
import { join } from 'node:path'
import { AppError } from '../../src/errors'
import { discoverModels } from '../../src/models/catalog'
import { Preprocessor } from '../../src/preprocessing/preprocess'
import { sniffImageFormat } from '../../src/preprocessing/sniff'
import { MODELS_DIR } from '../../tools/model-repo'

const model = discoverModels(MODELS_DIR, { maxBatchSize: 0, maxBatchDelayMs: -1 }).resolve('mobilenetv2')
const preprocessor = new Preprocessor(model, {
  maxImageBytes: 16 << 20,
  maxImagePixels: 40_000_000,
  maxJpegScans: 100,
  maxProgressivePixels: 16_000_000
})
const source = await Bun.file(join(import.meta.dir, '../fixtures/images/chelsea.png')).arrayBuffer()
const base = sharp(Buffer.from(source))
const reference = await preprocessor.run(new Uint8Array(await base.clone().jpeg({ quality: 95 }).toBuffer()))

/** Mean absolute difference in normalised units (one unit = one std ≈ 0.226 × 255 levels), as the model sees it. */
const meanAbsDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]!), 0) / a.length / (0.226 * 255)

const variants: Array<[string, () => Promise<Buffer>, string | undefined, number]> = [
  ['PNG', () => base.clone().png().toBuffer(), 'png', 0.1],
  ['WebP', () => base.clone().webp({ quality: 95 }).toBuffer(), 'webp', 0.1],
  ['GIF (first frame)', () => base.clone().gif().toBuffer(), 'gif', 0.3],
  ['AVIF', () => base.clone().avif({ quality: 80, effort: 0 }).toBuffer(), 'avif', 0.15],
  ['TIFF', () => base.clone().tiff().toBuffer(), 'tiff', 0.1],
  ['16-bit PNG', () => base.clone().toColourspace('rgb16').png().toBuffer(), 'png', 0.1],
  ['PNG with alpha', () => base.clone().ensureAlpha().png().toBuffer(), 'png', 0.1],
  ['CMYK JPEG', () => base.clone().toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer(), 'jpeg', 0.2],
  [
    'EXIF orientation 6 (stored rotated)',
    () => base.clone().rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer(),
    'jpeg',
    0.1
  ]
]

describe('accepted formats decode to the same tensor as a plain JPEG', () => {
  for (const [name, make, format, tolerance] of variants)
    test(name, async () => {
      const bytes = new Uint8Array(await make())
      expect(sniffImageFormat(bytes)).toBe(format as never)
      const tensor = await preprocessor.run(bytes)
      expect(tensor.length).toBe(3 * 224 * 224)
      expect(meanAbsDiff(tensor, reference)).toBeLessThan(tolerance)
    })

  test('grayscale becomes three equal channels', async () => {
    const tensor = await preprocessor.run(new Uint8Array(await base.clone().greyscale().png().toBuffer()))
    expect(tensor.length).toBe(3 * 224 * 224)
  })

  test('a 1×10000 strip still yields a 224×224 crop', async () => {
    const strip = await sharp({ create: { width: 1, height: 10_000, channels: 3, background: '#808080' } })
      .png()
      .toBuffer()
    expect((await preprocessor.run(new Uint8Array(strip))).length).toBe(3 * 224 * 224)
  })
})

describe('refused before any decoder runs', () => {
  const refused: Array<[string, Uint8Array, string]> = [
    ['SVG', new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'), 'unsupported_image_format'],
    ['PDF', new TextEncoder().encode('%PDF-1.4\n1 0 obj << >> endobj\n'), 'unsupported_image_format'],
    ['ELF executable', Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0]), 'unsupported_image_format'],
    ['empty', new Uint8Array(0), 'invalid_image']
  ]
  for (const [name, bytes, code] of refused)
    test(name, async () => {
      const error = await preprocessor.run(bytes).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(AppError)
      expect((error as AppError).code).toBe(code as never)
    })
})
