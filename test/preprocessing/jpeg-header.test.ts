import { describe, expect, test } from 'bun:test'
import sharp from 'sharp'
import { join } from 'node:path'
import { countJpegScans, readJpegHeader } from '../../src/preprocessing/jpeg-header'
import { comment, sof0 } from '../helpers/hostile-images'

const fixtures = join(import.meta.dir, '../fixtures/images')
const photo = sharp(Buffer.from(await Bun.file(join(fixtures, 'chelsea.png')).arrayBuffer())).resize(300, 200)

/** What sharp reads from the same bytes: the reference the fast path must agree with. */
async function sharpHeader(bytes: Uint8Array) {
  const { width, height, orientation, isProgressive } = await sharp(bytes).metadata()
  return { width, height, orientation, progressive: isProgressive }
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

/** JPEG segments: SOI, then `segments`, then the rest of `jpeg` after its SOI. */
const withSegments = (jpeg: Uint8Array, ...segments: number[][]) => new Uint8Array([0xff, 0xd8, ...segments.flat(), ...jpeg.subarray(2)])

describe('readJpegHeader reads the frame libjpeg decodes', () => {
  test('TEM carries no length: a fake frame inside a comment is not the frame', async () => {
    const jpeg = new Uint8Array(await photo.clone().jpeg().toBuffer())
    // A reader that took TEM's next two bytes (FF FE, the comment marker) as a length would jump from offset 2 to
    // 2 + 2 + 0xFFFE, inside the second comment, onto a 16×16 frame; libjpeg skips both comments and decodes the
    // photo's real 300×200 frame.
    const landing = 2 + 2 + 0xfffe
    const first = comment(new Array(65_000).fill(0x20))
    const secondData = 4 + first.length + 4 // SOI + TEM, the first comment, the second's marker and length
    const second = comment([...new Array(landing - secondData).fill(0x20), ...sof0(16, 16), 0x20])
    const bytes = withSegments(jpeg, [0xff, 0x01], first, second)
    expect([bytes[landing], bytes[landing + 1], bytes[landing + 7], bytes[landing + 8]]).toEqual([0xff, 0xc0, 0, 16])
    expect(await sharpHeader(bytes)).toMatchObject({ width: 300, height: 200 })
    expect(readJpegHeader(bytes)).toEqual(await sharpHeader(bytes))
  })

  test('RSTn and fill bytes before a marker carry no length either', async () => {
    const jpeg = new Uint8Array(await photo.clone().jpeg().toBuffer())
    const bytes = withSegments(jpeg, [0xff, 0xd3], [0xff, 0xff, 0xff], comment([1, 2, 3]))
    expect(readJpegHeader(bytes)).toEqual(await sharpHeader(bytes))
  })

  test('a stuffed FF 00 or stray bytes between segments: unsure, left to sharp', async () => {
    const jpeg = new Uint8Array(await photo.clone().jpeg().toBuffer())
    expect(readJpegHeader(withSegments(jpeg, [0xff, 0x00]))).toBeUndefined()
    expect(readJpegHeader(withSegments(jpeg, [0x12, 0x34]))).toBeUndefined()
  })
})

describe('countJpegScans counts the scans libjpeg would decode', () => {
  test('one for baseline, several for progressive; FF bytes in comments and entropy data are not scans', async () => {
    const baseline = new Uint8Array(await photo.clone().jpeg().toBuffer())
    const progressive = new Uint8Array(await photo.clone().jpeg({ progressive: true }).toBuffer())
    let sos = 0
    for (let i = 0; i + 1 < progressive.length; i++) if (progressive[i] === 0xff && progressive[i + 1] === 0xda) sos++
    expect(countJpegScans(baseline)).toBe(1)
    expect(countJpegScans(progressive)).toBe(sos)
    expect(sos).toBeGreaterThan(1)
    expect(countJpegScans(withSegments(baseline, comment([0xff, 0xda, 0, 8, 0xff, 0xda])))).toBe(1)
  })

  test('stops counting one past the bound', async () => {
    const progressive = new Uint8Array(await photo.clone().jpeg({ progressive: true }).toBuffer())
    expect(countJpegScans(progressive, 2)).toBe(3)
  })
})
