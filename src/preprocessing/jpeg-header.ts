/**
 * What the checks before decoding need from a JPEG, read in JavaScript: its frame size and EXIF orientation (for
 * the pixel limit and the crop box, without a second sharp object and a trip to libuv's pool), and its number of
 * scans (progressive JPEGs with very many scans cost decode time out of proportion to their size).
 *
 * The markers are walked as libjpeg walks them (jdmarker.c), so the frame read here is the frame the decoder
 * will decode: TEM and RSTn carry no length, fill bytes (FF FF) precede a marker, and everything else between
 * SOI and the first scan is a segment with a length. Anything libjpeg would treat differently (bytes outside a
 * segment, a stuffed FF 00, a marker libjpeg refuses) makes the reader unsure: it returns undefined and the caller
 * asks sharp, whose libjpeg reads the header itself. sharp's limitInputPixels still enforces the pixel limit in
 * the decoder, whatever this reader said.
 */
export interface JpegHeader {
  width: number
  height: number
  /** EXIF orientation 1–8; undefined when there is none. */
  orientation?: number
  /** A progressive frame (SOF2, SOF6, SOF10, SOF14): decoded from a whole-image buffer of coefficients. */
  progressive: boolean
}

const SOI = 0xd8
const EOI = 0xd9
const SOS = 0xda
const APP1 = 0xe1
/** TEM and RST0–RST7: markers without a length (libjpeg's next_marker reads nothing after them). */
const isStandalone = (marker: number) => marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)
/** SOF0–SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames. */
const isStartOfFrame = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc

/** The marker byte at `at` (after any fill bytes), and where it is; undefined unless bytes[at] is 0xFF. */
function markerAt(bytes: Uint8Array, at: number): { marker: number; at: number } | undefined {
  if (bytes[at] !== 0xff) return undefined
  while (bytes[at + 1] === 0xff) at++ // fill bytes: any number of FF before the marker byte
  const marker = bytes[at + 1]
  return marker === undefined || marker === 0 ? undefined : { marker, at }
}

export function readJpegHeader(bytes: Uint8Array): JpegHeader | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.length < 4 || view.getUint16(0) !== 0xffd8) return undefined
  let orientation: number | undefined
  let exifBlocks = 0
  for (let at = 2; at + 4 <= bytes.length; ) {
    const found = markerAt(bytes, at)
    if (!found) return undefined
    const { marker } = found
    at = found.at
    if (isStandalone(marker)) {
      at += 2
      continue
    }
    // A second SOI, a scan or the end before any frame, or JPG (C8): libjpeg refuses these; let sharp say how.
    if (marker === SOI || marker === SOS || marker === EOI || marker === 0xc8) return undefined
    const length = view.getUint16(at + 2)
    if (length < 2 || at + 2 + length > bytes.length) return undefined
    if (marker === APP1 && isExif(bytes, at + 4, length - 2)) {
      if (++exifBlocks > 1) return undefined
      const value = exifOrientation(view, at + 10, length - 8)
      if (value === UNSURE) return undefined
      orientation = value
    }
    if (isStartOfFrame(marker)) {
      if (length < 7) return undefined
      const height = view.getUint16(at + 5)
      const width = view.getUint16(at + 7)
      const progressive = (marker & 0x03) === 0x02
      return width > 0 && height > 0 ? { width, height, orientation, progressive } : undefined
    }
    at += 2 + length
  }
  return undefined
}

/**
 * Scans (SOS markers) before the end of the image, counted as libjpeg meets them: segments skipped by their length,
 * entropy-coded data up to the next marker (FF followed by anything but a stuffed 00, a fill FF or RSTn), bytes
 * outside a segment skipped up to the next FF as libjpeg's next_marker does. Stops counting past `stopAfter`.
 */
export function countJpegScans(bytes: Uint8Array, stopAfter = Number.POSITIVE_INFINITY): number {
  let scans = 0
  let at = 2
  while (at + 1 < bytes.length) {
    at = bytes.indexOf(0xff, at)
    if (at < 0) break
    const found = markerAt(bytes, at)
    if (!found) {
      at += 1 // a stuffed FF 00 (or FF at the very end) outside a scan: libjpeg discards it and looks on
      continue
    }
    const { marker } = found
    at = found.at
    if (marker === EOI) break
    if (isStandalone(marker) || marker === SOI) {
      at += 2
      continue
    }
    if (at + 4 > bytes.length) break
    at += 2 + ((bytes[at + 2]! << 8) | bytes[at + 3]!)
    if (marker !== SOS) continue
    if (++scans > stopAfter) break
    at = endOfEntropyData(bytes, at)
  }
  return scans
}

/** Where the entropy-coded data starting at `at` ends: the next FF that is not a stuffed 00, a fill byte or RSTn. */
function endOfEntropyData(bytes: Uint8Array, at: number): number {
  for (;;) {
    at = bytes.indexOf(0xff, at)
    if (at < 0 || at + 1 >= bytes.length) return bytes.length
    let next = at + 1
    while (bytes[next] === 0xff) next++
    const marker = bytes[next]
    if (marker === undefined) return bytes.length
    if (marker !== 0 && !(marker >= 0xd0 && marker <= 0xd7)) return next - 1
    at = next + 1
  }
}

function isExif(bytes: Uint8Array, start: number, length: number): boolean {
  return (
    length >= 6 &&
    bytes[start] === 0x45 &&
    bytes[start + 1] === 0x78 &&
    bytes[start + 2] === 0x69 &&
    bytes[start + 3] === 0x66 &&
    bytes[start + 4] === 0 &&
    bytes[start + 5] === 0
  )
}

const UNSURE = -1

/** Tag 0x0112 of IFD0 in the TIFF block at `tiff`: 1–8, undefined when absent, UNSURE when malformed. */
function exifOrientation(view: DataView, tiff: number, length: number): number | undefined {
  if (length < 8) return UNSURE
  const order = view.getUint16(tiff)
  if (order !== 0x4949 && order !== 0x4d4d) return UNSURE
  const little = order === 0x4949
  const ifd = view.getUint32(tiff + 4, little)
  if (ifd + 2 > length) return UNSURE
  const entries = view.getUint16(tiff + ifd, little)
  for (let i = 0; i < entries; i++) {
    const entry = tiff + ifd + 2 + i * 12
    if (entry + 12 - tiff > length) return UNSURE
    if (view.getUint16(entry, little) !== 0x0112) continue
    // One SHORT (type 3), stored in the first two bytes of the value field; anything else: ask sharp.
    const value = view.getUint16(entry + 2, little) === 3 ? view.getUint16(entry + 8, little) : 0
    return value >= 1 && value <= 8 ? value : UNSURE
  }
  return undefined
}
