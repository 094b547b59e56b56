/**
 * Hostile images, made in the test that uses them (nothing committed): each is small, and each asks a decoder for
 * far more than its size if a check before decoding gets it wrong.
 */
import sharp from 'sharp'
import { deflateSync } from 'node:zlib'

const jpegOf = async (width: number, height: number, progressive: boolean) =>
  new Uint8Array(
    await sharp({ create: { width, height, channels: 3, background: '#6a8' } })
      .jpeg({ progressive })
      .toBuffer()
  )

/** A COM segment holding `data`. */
export const comment = (data: number[]) => [0xff, 0xfe, (data.length + 2) >> 8, (data.length + 2) & 0xff, ...data]
/** A baseline SOF0 segment of `width × height`, three components. */
export const sof0 = (width: number, height: number) => [
  0xff,
  0xc0,
  0,
  17,
  8,
  height >> 8,
  height & 0xff,
  width >> 8,
  width & 0xff,
  3,
  1,
  0x22,
  0,
  2,
  0x11,
  1,
  3,
  0x11,
  1
]

/** Offset of the first marker `marker` met walking the segments from SOI (all of a sharp JPEG's have lengths). */
function segmentAt(bytes: Uint8Array, marker: number): number {
  for (let at = 2; at + 4 <= bytes.length; at += 2 + ((bytes[at + 2]! << 8) | bytes[at + 3]!)) if (bytes[at + 1] === marker) return at
  throw new Error(`no marker ${marker.toString(16)}`)
}

/**
 * A JPEG whose first marker is TEM (no length in libjpeg): a reader that takes the next two bytes as a length lands
 * inside a comment on a 16×16 frame, while libjpeg reads the real frame, `width × height` (its data is a small
 * image's, so a decoder that went ahead would allocate for the declared size and then fail).
 */
export async function lyingHeaderJpeg(width: number, height: number): Promise<Uint8Array> {
  const real = await jpegOf(64, 64, true)
  const sof = segmentAt(real, 0xc2)
  real.set([height >> 8, height & 0xff, width >> 8, width & 0xff], sof + 5)
  const landing = 2 + 2 + 0xfffe
  const first = comment(new Array(65_000).fill(0x20))
  const second = comment([...new Array(landing - (4 + first.length + 4)).fill(0x20), ...sof0(16, 16), 0x20])
  return new Uint8Array([0xff, 0xd8, 0xff, 0x01, ...first, ...second, ...real.subarray(2)])
}

/** A progressive JPEG with its last scan repeated until it has `scans` scans: each is one more pass over the image. */
export async function manyScanJpeg(scans: number, side = 256): Promise<Uint8Array> {
  const jpeg = await jpegOf(side, side, true)
  let last = -1
  for (let at = segmentAt(jpeg, 0xda); at >= 0; at = jpeg.indexOf(0xda, at + 1)) if (jpeg[at - 1] === 0xff) last = at - 1
  let have = 0
  for (let at = 0; (at = jpeg.indexOf(0xda, at + 1)) > 0; ) if (jpeg[at - 1] === 0xff) have++
  const scan = jpeg.subarray(last, jpeg.length - 2)
  const parts = [jpeg.subarray(0, jpeg.length - 2), ...new Array(Math.max(0, scans - have)).fill(scan), jpeg.subarray(jpeg.length - 2)]
  return new Uint8Array(Buffer.concat(parts))
}

/** A progressive JPEG of `width × height` (a plain colour: small on the wire). */
export const progressiveJpeg = (width: number, height: number) => jpegOf(width, height, true)

/** A PNG whose header declares `width × height` RGB pixels, followed by a few rows of real data: a decompression bomb's header. */
export function pngBomb(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const body = new Uint8Array([...new TextEncoder().encode(type), ...data])
    const out = new Uint8Array(12 + data.length)
    const view = new DataView(out.buffer)
    view.setUint32(0, data.length)
    out.set(body, 4)
    view.setUint32(8 + data.length, Bun.hash.crc32(body))
    return out
  }
  const header = new Uint8Array(13)
  const view = new DataView(header.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  header.set([8, 2, 0, 0, 0], 8) // 8-bit RGB, deflate, no filter method, no interlace
  const rows = deflateSync(new Uint8Array(4 * (1 + width * 3)))
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return new Uint8Array(Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', rows), chunk('IEND', new Uint8Array(0))]))
}
