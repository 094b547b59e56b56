/** Images that are wrong on purpose, built from good ones so every case is reviewable. */

const crc32 = (bytes: Uint8Array) => Bun.hash.crc32(bytes)

/** A PNG whose header claims width × height, with a valid IHDR checksum: a decompression bomb's header. */
export function pngWithDimensions(png: Uint8Array, width: number, height: number): Uint8Array {
  const out = png.slice()
  const view = new DataView(out.buffer)
  // Signature (8) + IHDR length (4) + "IHDR" (4), then width and height; CRC covers type + data (17 bytes).
  view.setUint32(16, width)
  view.setUint32(20, height)
  view.setUint32(29, crc32(out.subarray(12, 29)))
  return out
}

export const truncated = (bytes: Uint8Array, keep = 0.5) => bytes.slice(0, Math.floor(bytes.length * keep))

export const SVG = new TextEncoder().encode(
  '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><image href="file:///etc/passwd"/></svg>'
)
export const TEXT_AS_JPG = new TextEncoder().encode('this is not a photo, just text pretending to be one.\n')
