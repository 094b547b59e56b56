import { describe, expect, test } from 'bun:test'
import sharp from 'sharp'
import { join } from 'node:path'
import { readJpegHeader } from '../../src/preprocessing/jpeg-header'

const fixtures = join(import.meta.dir, '../fixtures/images')
const photo = sharp(Buffer.from(await Bun.file(join(fixtures, 'chelsea.png')).arrayBuffer())).resize(300, 200)

/** What sharp reads from the same bytes: the reference the fast path must agree with. */
async function sharpHeader(bytes: Uint8Array) {
  const { width, height, orientation } = await sharp(bytes).metadata()
  return { width, height, orientation }
}

describe('readJpegHeader agrees with sharp', () => {
  for (let orientation = 1; orientation <= 8; orientation++)
    test(`EXIF orientation ${orientation}`, async () => {
      const bytes = new Uint8Array(await photo.clone().withMetadata({ orientation }).jpeg().toBuffer())
      expect(readJpegHeader(bytes)).toEqual(await sharpHeader(bytes))
      expect(readJpegHeader(bytes)!.orientation).toBe(orientation)
    })

  const variants: Array<[string, () => Promise<Buffer>]> = [
    ['chelsea.jpg', async () => Buffer.from(await Bun.file(join(fixtures, 'chelsea.jpg')).arrayBuffer())],
    ['rocket.jpg', async () => Buffer.from(await Bun.file(join(fixtures, 'rocket.jpg')).arrayBuffer())],
    ['no metadata', () => photo.clone().jpeg().toBuffer()],
    ['progressive', () => photo.clone().jpeg({ progressive: true }).toBuffer()],
    ['CMYK', () => photo.clone().toColourspace('cmyk').jpeg().toBuffer()],
    [
      'EXIF + ICC + XMP',
      () =>
        photo
          .clone()
          .withMetadata({ orientation: 6 })
          .withIccProfile('p3')
          .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
          .jpeg()
          .toBuffer()
    ]
  ]
  for (const [name, make] of variants)
    test(name, async () => {
      const bytes = new Uint8Array(await make())
      expect(readJpegHeader(bytes)).toEqual(await sharpHeader(bytes))
    })
})

describe('readJpegHeader leaves what it is unsure of to sharp', () => {
  test('not a JPEG, truncated before the frame header, or two EXIF blocks', async () => {
    const bytes = new Uint8Array(await photo.clone().withMetadata({ orientation: 6 }).jpeg().toBuffer())
    expect(readJpegHeader(new Uint8Array(await photo.clone().png().toBuffer()))).toBeUndefined()
    expect(readJpegHeader(bytes.subarray(0, 40))).toBeUndefined()
    // A second copy of the APP1 EXIF segment right after the first.
    const app1 = bytes.indexOf(0xe1, 2) - 1
    const length = (bytes[app1 + 2]! << 8) | bytes[app1 + 3]!
    const segment = bytes.subarray(app1, app1 + 2 + length)
    const twice = new Uint8Array([...bytes.subarray(0, app1 + 2 + length), ...segment, ...bytes.subarray(app1 + 2 + length)])
    expect(readJpegHeader(bytes)).toBeDefined()
    expect(readJpegHeader(twice)).toBeUndefined()
  })

  test('an orientation that is not one SHORT from 1 to 8', async () => {
    const bytes = new Uint8Array(await photo.clone().withMetadata({ orientation: 6 }).jpeg().toBuffer())
    const tiff = bytes.indexOf(0x45, 2) + 6 // "Exif\0\0", then the TIFF header
    const little = bytes[tiff] === 0x49
    const view = new DataView(bytes.buffer, bytes.byteOffset)
    const ifd = tiff + view.getUint32(tiff + 4, little)
    for (let i = 0; i < view.getUint16(ifd, little); i++) {
      const entry = ifd + 2 + i * 12
      if (view.getUint16(entry, little) === 0x0112) view.setUint16(entry + 8, 9, little)
    }
    expect(readJpegHeader(bytes)).toBeUndefined()
  })
})
