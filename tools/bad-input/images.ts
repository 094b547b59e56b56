/**
 * Odd and hostile images for the bad-input corpus, built in memory from the committed photos (and
 * sharp, pinned in package.json) so every byte is reviewable here instead of hiding in a binary fixture.
 */
import { join } from 'node:path'
import sharp from 'sharp'
import { pngWithDimensions } from './bad-images'

const IMAGES = join(import.meta.dir, '../../test/fixtures/images')
const text = (s: string) => new TextEncoder().encode(s)
const u8 = (b: Buffer | ArrayBuffer) => new Uint8Array(b)
export const read = async (name: string) => u8(await Bun.file(join(IMAGES, name)).arrayBuffer())

/** The 50,000 × 50,000 canvas of every decompression bomb: 2.5 gigapixels, 7.5 GB as RGB. */
export const BOMB_SIDE = 50_000

/** JPEG with its SOF0 frame header patched to claim `width` × `height`; the entropy data stays small. */
export function jpegWithDimensions(jpeg: Uint8Array, width: number, height: number): Uint8Array {
  const out = jpeg.slice()
  const view = new DataView(out.buffer)
  for (let i = 2; i + 9 < out.length; ) {
    if (out[i] !== 0xff) throw new Error(`jpegWithDimensions: no marker at ${i}`)
    const marker = out[i + 1]!
    if (marker >= 0xc0 && marker <= 0xc2) {
      // SOFn: length(2) precision(1) height(2) width(2); 16 bits each, so 50,000 fits.
      view.setUint16(i + 5, height)
      view.setUint16(i + 7, width)
      return out
    }
    i += 2 + view.getUint16(i + 2)
  }
  throw new Error('jpegWithDimensions: no SOF marker')
}

/** RIFF/WEBP container around chunks already laid out (each as fourcc + little-endian size + payload). */
function riffWebp(...chunks: Uint8Array[]): Uint8Array {
  const body = Buffer.concat([text('WEBP'), ...chunks])
  const out = Buffer.concat([text('RIFF'), new Uint8Array(4), body])
  out.writeUInt32LE(body.length, 4)
  return out
}

function chunk(fourcc: string, payload: Uint8Array): Uint8Array {
  const out = Buffer.alloc(8 + payload.length + (payload.length & 1))
  out.write(fourcc, 0, 'latin1')
  out.writeUInt32LE(payload.length, 4)
  out.set(payload, 8)
  return out
}

/** VP8X payload: flags, then canvas width − 1 and height − 1 as 24-bit little-endian (so 50,000 fits, unlike VP8's 14 bits). */
function vp8x(flags: number, width: number, height: number): Uint8Array {
  const out = Buffer.alloc(10)
  out[0] = flags
  out.writeUIntLE(width - 1, 4, 3)
  out.writeUIntLE(height - 1, 7, 3)
  return out
}

function vp8Chunk(webp: Uint8Array): Uint8Array {
  if (new TextDecoder().decode(webp.subarray(12, 16)) !== 'VP8 ') throw new Error('expects a simple lossy WebP')
  return webp.subarray(12)
}

/** A still WebP whose VP8X canvas claims width × height while its only frame is small: inconsistent, so libwebp refuses it. */
export function webpWithCanvas(webp: Uint8Array, width: number, height: number): Uint8Array {
  return riffWebp(chunk('VP8X', vp8x(0, width, height)), vp8Chunk(webp))
}

/**
 * An animated WebP with a width × height canvas and one tiny frame in its corner: valid, and a real bomb,
 * since decoding a frame composites it onto the whole canvas.
 */
export function animatedWebpBomb(webp: Uint8Array, width: number, height: number): Uint8Array {
  const frame = vp8Chunk(webp)
  const small = new DataView(frame.buffer, frame.byteOffset)
  const [fw, fh] = [small.getUint16(14, true) & 0x3fff, small.getUint16(16, true) & 0x3fff]
  const anmf = Buffer.alloc(16)
  anmf.writeUIntLE(fw - 1, 6, 3)
  anmf.writeUIntLE(fh - 1, 9, 3)
  anmf.writeUIntLE(100, 12, 3) // duration (ms)
  const anim = Buffer.alloc(6) // background colour 0, loop forever
  return riffWebp(chunk('VP8X', vp8x(0x02, width, height)), chunk('ANIM', anim), chunk('ANMF', Buffer.concat([anmf, frame])))
}

/** Stored pixels that display as `upright` once EXIF orientation `o` (1–8) is applied. */
function storedForOrientation(upright: Buffer, w: number, h: number, o: number): { data: Buffer; width: number; height: number } {
  const swap = o >= 5
  const [sw, sh] = swap ? [h, w] : [w, h]
  const data = Buffer.alloc(upright.length)
  // For each stored pixel, where it lands on screen (EXIF 2.3, table of Orientation values).
  const display: Record<number, (x: number, y: number) => [number, number]> = {
    1: (x, y) => [x, y],
    2: (x, y) => [sw - 1 - x, y],
    3: (x, y) => [sw - 1 - x, sh - 1 - y],
    4: (x, y) => [x, sh - 1 - y],
    5: (x, y) => [y, x],
    6: (x, y) => [sh - 1 - y, x],
    7: (x, y) => [sh - 1 - y, sw - 1 - x],
    8: (x, y) => [y, sw - 1 - x]
  }
  const map = display[o]!
  for (let y = 0; y < sh; y++)
    for (let x = 0; x < sw; x++) {
      const [dx, dy] = map(x, y)
      upright.copy(data, (y * sw + x) * 3, (dy * w + dx) * 3, (dy * w + dx) * 3 + 3)
    }
  return { data, width: sw, height: sh }
}

/**
 * The cat photo stored in orientation `o`, tagged so that a viewer (and the server) shows it upright.
 * As PNG (lossless, EXIF in an eXIf chunk) all eight decode to identical upright pixels.
 */
export async function catWithOrientation(cat: Uint8Array, o: number, format: 'jpeg' | 'png' = 'jpeg'): Promise<Uint8Array> {
  const { data, info } = await sharp(cat).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  const stored = storedForOrientation(data, info.width, info.height, o)
  const raw = { width: stored.width, height: stored.height, channels: 3 as const }
  const tagged = sharp(stored.data, { raw }).withMetadata({ orientation: o })
  return u8(await (format === 'png' ? tagged.png() : tagged.jpeg({ quality: 90 })).toBuffer())
}

/** A GIF of `frames` 32×32 frames of different colours; only the first should ever be decoded. */
export async function manyFrameGif(frames: number): Promise<Uint8Array> {
  const side = 32
  const data = Buffer.alloc(side * side * frames * 3)
  for (let f = 0; f < frames; f++)
    data.fill(Buffer.from([f % 256, (f * 7) % 256, (f * 13) % 256]), f * side * side * 3, (f + 1) * side * side * 3)
  const raw = { width: side, height: side * frames, channels: 3 as const, pageHeight: side }
  return u8(await sharp(data, { raw }).gif({ loop: 0 }).toBuffer())
}

/** A plain image of width × height in `format`, one flat colour (cheap to encode, compresses to bytes). */
export async function solid(width: number, height: number, format: 'png' | 'jpeg' | 'webp', channels: 3 | 4 = 3) {
  return u8(
    await sharp({ create: { width, height, channels, background: { r: 120, g: 90, b: 60, alpha: 0.5 } } })
      [format]()
      .toBuffer()
  )
}

export const SVG_EXTERNAL = text(
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64">' +
    '<image xlink:href="http://169.254.169.254/latest/meta-data/" width="64" height="64"/></svg>'
)
export const SVG_LOCAL = text('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><image href="file:///etc/passwd"/></svg>')
export const SVG_PLAIN = text('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>')
export const PDF = text(
  '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'
)
export const TEXT = text('this is not a photo, just text pretending to be one.\n')
/** The first bytes of an x86-64 ELF executable header, padded: what a renamed binary starts with. */
export const ELF = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array(56).fill(0)])
/** A Windows PE ("MZ") header, padded. */
export const EXE = Uint8Array.from([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff, ...new Array(50).fill(0)])

/** Corrupts the bytes right after the magic number: the format is recognised, the header is garbage. */
export function corruptHeader(bytes: Uint8Array, keepMagic: number, span = 64): Uint8Array {
  const out = bytes.slice()
  for (let i = keepMagic; i < Math.min(out.length, keepMagic + span); i++) out[i] = 0xa5 ^ (i & 0xff)
  return out
}

export { pngWithDimensions }
