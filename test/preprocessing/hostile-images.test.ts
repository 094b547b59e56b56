import { describe, expect, test } from 'bun:test'
import sharp from 'sharp'
import { AppError } from '../../src/errors'
import { discoverModels } from '../../src/models/catalog'
import { countJpegScans, readJpegHeader } from '../../src/preprocessing/jpeg-header'
import { type ImageLimits, Preprocessor } from '../../src/preprocessing/preprocess'
import { MODELS_DIR } from '../../tools/model-repo'
import { lyingHeaderJpeg, manyScanJpeg, pngBomb, progressiveJpeg } from '../helpers/hostile-images'

const model = discoverModels(MODELS_DIR, { maxBatchSize: 0, maxBatchDelayMs: -1 }).resolve('mobilenetv2')
const limits: ImageLimits = { maxImageBytes: 16 << 20, maxImagePixels: 40_000_000, maxJpegScans: 100, maxProgressivePixels: 16_000_000 }

async function refusal(bytes: Uint8Array, given: ImageLimits = limits): Promise<AppError> {
  const error = await new Preprocessor(model, given).run(bytes).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}

describe('hostile images are refused before decoding, with 413 image_too_large', () => {
  test('a header that lies to a reader that takes TEM for a segment: the real 20000×20000 frame is read', async () => {
    const bytes = await lyingHeaderJpeg(20_000, 20_000)
    expect((await sharp(bytes, { limitInputPixels: false }).metadata()).width).toBe(20_000) // what libjpeg will decode
    expect(readJpegHeader(bytes)).toMatchObject({ width: 20_000, height: 20_000 })
    const error = await refusal(bytes)
    expect(error.code).toBe('image_too_large')
    expect(error.message).toContain('20000×20000')
  })

  test('a JPEG with more scans than the limit; one at the limit decodes', async () => {
    const many = await manyScanJpeg(101)
    expect(countJpegScans(many)).toBe(101)
    const error = await refusal(many)
    expect(error.code).toBe('image_too_large')
    expect(error.message).toContain('scans')
    const progressive = await progressiveJpeg(64, 64)
    const scans = countJpegScans(progressive)
    expect((await new Preprocessor(model, { ...limits, maxJpegScans: scans }).run(progressive)).length).toBe(model.inputElements)
    expect((await refusal(progressive, { ...limits, maxJpegScans: scans - 1 })).code).toBe('image_too_large')
  })

  test('a progressive JPEG over the progressive pixel limit, though under the pixel limit', async () => {
    const bytes = await progressiveJpeg(1600, 1200)
    const error = await refusal(bytes, { ...limits, maxProgressivePixels: 1_000_000 })
    expect(error.code).toBe('image_too_large')
    expect(error.message).toContain('progressive')
    expect((await new Preprocessor(model, limits).run(bytes)).length).toBe(model.inputElements)
  })

  test('a PNG decompression bomb is refused from its header', async () => {
    const bytes = pngBomb(30_000, 30_000)
    expect((await sharp(bytes, { limitInputPixels: false }).metadata()).width).toBe(30_000)
    expect((await refusal(bytes)).code).toBe('image_too_large')
  })

  test('a JPEG the JavaScript reader is unsure of is measured by sharp: 413 all the same', async () => {
    // An image whose header the JavaScript reader is unsure of (a stray byte after TEM, which libjpeg skips) goes to
    // sharp's header read and decode, which hold the same limit; the refusal keeps its code.
    const bytes = await lyingHeaderJpeg(20_000, 20_000)
    const stray = new Uint8Array([...bytes.subarray(0, 4), 0x12, ...bytes.subarray(4)])
    expect(readJpegHeader(stray)).toBeUndefined()
    expect((await refusal(stray)).code).toBe('image_too_large')
  })
})
