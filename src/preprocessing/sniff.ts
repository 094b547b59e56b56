/** Image formats we accept, as sharp names them. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff'

const ascii = (bytes: Uint8Array, start: number, text: string) =>
  bytes.length >= start + text.length && [...text].every((c, i) => bytes[start + i] === c.charCodeAt(0))

/**
 * Identifies an image by its magic bytes, before any decoder sees it. Anything else (SVG, PDF,
 * HEIC, executables, text) is refused here, so no parser that can reach files or the network
 * (librsvg, poppler) ever runs on client input.
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length < 12) return undefined
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg'
  if (ascii(bytes, 0, '\x89PNG\r\n\x1a\n')) return 'png'
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return 'webp'
  if (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a')) return 'gif'
  if (ascii(bytes, 0, 'II*\0') || ascii(bytes, 0, 'MM\0*')) return 'tiff'
  // ISO-BMFF: [size][ftyp][major brand]...; AVIF declares avif/avis as major or compatible brand.
  if (ascii(bytes, 4, 'ftyp')) {
    const boxSize = Math.min(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0), bytes.length, 256)
    for (let offset = 8; offset + 4 <= boxSize; offset += 4) if (ascii(bytes, offset, 'avif') || ascii(bytes, offset, 'avis')) return 'avif'
  }
  return undefined
}
