import { describe, expect, test } from 'bun:test'
import sharp, { type JpegOptions } from 'sharp'
import { join } from 'node:path'
import { resizeAndCropBox } from '../../src/preprocessing/crop-box'
import { readJpegHeader } from '../../src/preprocessing/jpeg-header'
import { Preprocessor } from '../../src/preprocessing/preprocess'
import { decodeJpegCrop, jpegShrinkOnLoad, vipsDirectAvailable } from '../../src/preprocessing/vips-direct'

const fixtures = join(import.meta.dir, '../fixtures/images')
const png = Buffer.from(await Bun.file(join(fixtures, 'chelsea.png')).arrayBuffer())
const file = async (name: string) => new Uint8Array(await Bun.file(join(fixtures, name)).arrayBuffer())
const jpeg = async (width: number, height: number, options: JpegOptions = {}) =>
  new Uint8Array(await sharp(png).resize(width, height, { fit: 'fill' }).jpeg(options).toBuffer())

/** The shipped model's geometry, and a second one (another crop, kernel and shorter side) so nothing is hard-wired. */
const models = [
  { resizeShorterSide: 256, kernel: 'lanczos3', width: 224, height: 224 },
  { resizeShorterSide: 200, kernel: 'linear', width: 192, height: 160 }
] as const

function preprocessorFor(m: (typeof models)[number]) {
  const spec = { manifest: { input: { width: m.width, height: m.height }, preprocessing: m }, inputElements: m.width * m.height * 3 }
  return new Preprocessor(spec as never, { maxImageBytes: 1 << 30, maxImagePixels: 1 << 30 })
}

function direct(bytes: Uint8Array, m: (typeof models)[number]) {
  const header = readJpegHeader(bytes)!
  const box = resizeAndCropBox(header.width, header.height, m.resizeShorterSide, m.width, m.height)
  return decodeJpegCrop(bytes, header.width, header.height, box, { kernel: m.kernel, width: m.width, height: m.height })
}

test('libvips is found beside sharp on this machine', () => {
  expect(vipsDirectAvailable()).toBe(true)
})

describe('the direct decode gives the Preprocessor’s bytes exactly', () => {
  // Shrink factors on both sides of sharp's shrink-on-load steps (2, 4, 8, and the whole numbers it steps down at),
  // portrait and landscape, an upscale, and encodings that change the decoder's path.
  const cases: Array<[string, () => Promise<Uint8Array>]> = [
    ['chelsea.jpg (451×300)', () => file('chelsea.jpg')],
    ['a shrink just under 2', () => jpeg(500, 510)],
    ['a shrink of exactly 2', () => jpeg(512, 600)],
    ['a shrink just over 3 (loads at 1/2)', () => jpeg(800, 780)],
    ['a shrink of exactly 4 (loads at 1/2)', () => jpeg(1024, 1100)],
    ['a shrink of 5 (loads at 1/4, portrait)', () => jpeg(1300, 1400)],
    ['a shrink of 9 (loads at 1/8)', () => jpeg(2400, 2350)],
    ['an upscale (smaller than the crop)', () => jpeg(150, 120)],
    ['progressive', () => jpeg(451, 300, { progressive: true })],
    ['4:4:4 chroma', () => jpeg(451, 300, { chromaSubsampling: '4:4:4' })],
    [
      'EXIF orientation 1',
      async () =>
        new Uint8Array(
          await sharp(png)
            .withExif({ IFD0: { Orientation: '1' } })
            .jpeg()
            .toBuffer()
        )
    ],
    // libjpeg only warns about bad scan data; sharp (failOn "error") and this path both decode what it gives.
    ['corrupt scan data', async () => (await file('chelsea.jpg')).map((b, i) => (i > 2000 && i % 7 === 0 ? 0xff : b))]
  ]
  for (const [name, make] of cases)
    for (const m of models)
      test(`${name}, ${m.width}×${m.height} ${m.kernel}`, async () => {
        const bytes = await make()
        const expected = await preprocessorFor(m).run(bytes)
        const actual = direct(bytes, m)
        expect(actual).toBeDefined()
        expect(Buffer.compare(Buffer.from(actual!), Buffer.from(expected))).toBe(0)
      })
})

describe('what sharp does more, or refuses, is declined (the caller then uses sharp)', () => {
  const declined: Array<[string, () => Promise<Uint8Array>]> = [
    ['an embedded ICC profile (rocket.jpg)', () => file('rocket.jpg')],
    ['EXIF orientation 6', async () => new Uint8Array(await sharp(png).withMetadata({ orientation: 6 }).jpeg().toBuffer())],
    ['one band (greyscale)', async () => new Uint8Array(await sharp(png).toColourspace('b-w').jpeg().toBuffer())],
    ['CMYK', async () => new Uint8Array(await sharp(png).toColourspace('cmyk').jpeg().toBuffer())],
    ['truncated scan data (sharp refuses it: 400 invalid_image)', async () => (await file('chelsea.jpg')).slice(0, 6000)]
  ]
  for (const [name, make] of declined)
    test(name, async () => {
      const bytes = await make()
      expect(readJpegHeader(bytes)).toBeDefined()
      expect(direct(bytes, models[0])).toBeUndefined()
    })

  test('not a JPEG at all, and no bytes', async () => {
    const box = resizeAndCropBox(451, 300, 256, 224, 224)
    const spec = { kernel: 'lanczos3', width: 224, height: 224 }
    expect(decodeJpegCrop(new Uint8Array(png), 451, 300, box, spec)).toBeUndefined()
    expect(decodeJpegCrop(new Uint8Array(0), 451, 300, box, spec)).toBeUndefined()
  })

  test('a decline leaves nothing behind: the next image decodes', async () => {
    expect(direct(await file('rocket.jpg'), models[0])).toBeUndefined()
    expect(direct(await file('chelsea.jpg'), models[0])).toBeDefined()
  })
})

test('jpegShrinkOnLoad follows sharp: 2, 4, 8 by the smaller shrink, one step less at a whole number', () => {
  const box = (resizedW: number, resizedH: number) => ({ resizedW, resizedH, left: 0, top: 0 })
  expect(jpegShrinkOnLoad(451, 300, box(385, 256))).toBe(1)
  expect(jpegShrinkOnLoad(530, 520, box(261, 256))).toBe(1) // 2.03: 2, and 2 is its whole part
  expect(jpegShrinkOnLoad(800, 800, box(256, 256))).toBe(2) // 3.125
  expect(jpegShrinkOnLoad(1100, 1024, box(275, 256))).toBe(2) // 4.0: 4, one step less
  expect(jpegShrinkOnLoad(1400, 1300, box(276, 256))).toBe(4) // 5.08
  expect(jpegShrinkOnLoad(2048, 2100, box(256, 263))).toBe(4) // 8.0
  expect(jpegShrinkOnLoad(5120, 2880, box(455, 256))).toBe(8) // 11.25
})
