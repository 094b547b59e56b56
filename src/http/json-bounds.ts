import { AppError } from '../errors'

/**
 * What a JSON text may hold before JSON.parse is allowed to build it. JSON.parse builds every value at once and
 * only then can a schema or a shape be checked, so a small body (a gzip of a few KB decompresses to the body limit)
 * could make the heap many times its size: each string becomes a heap object of its own, each array element a slot,
 * each level of nesting parser stack. Callers derive the bounds from what a valid request can need.
 */
export interface JsonBounds {
  /** Deepest nesting of arrays and objects. */
  maxDepth: number
  /** Most strings, object keys included. */
  maxStrings: number
  /** Most arrays and objects: each is a heap object, where a number or a literal in an array is only a slot. */
  maxContainers: number
  /** Most array elements plus object members (an empty array or object counts as one). */
  maxEntries: number
}

/**
 * The first bound the text passes, or undefined within all of them. One byte scan, stopping at the first bound
 * passed; strings are skipped with a native search for their closing quote (base64 images are nearly all of a
 * predict body), and entries are counted as the commas and opening brackets outside strings, which is what each
 * element or member adds. It does not validate the JSON: JSON.parse does, once the text is known to be small enough.
 */
export function jsonPastBound(bytes: Uint8Array, bounds: JsonBounds): keyof JsonBounds | undefined {
  let depth = 0
  let strings = 0
  let containers = 0
  let entries = 0
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]
    if (byte === 0x22) {
      if (++strings > bounds.maxStrings) return 'maxStrings'
      i = closingQuote(bytes, i)
    } else if (byte === 0x2c) {
      if (++entries > bounds.maxEntries) return 'maxEntries'
    } else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > bounds.maxDepth) return 'maxDepth'
      if (++containers > bounds.maxContainers) return 'maxContainers'
      if (++entries > bounds.maxEntries) return 'maxEntries'
    } else if (byte === 0x5d || byte === 0x7d) depth--
  }
  return undefined
}

/**
 * Throws unless the text is within `bounds`: 400 malformed_request for nesting (no valid body nests that deep),
 * 413 payload_too_large for counts (the content is more than the server will build, as 413 means in RFC 9110).
 */
export function checkJsonBounds(bytes: Uint8Array, bounds: JsonBounds): void {
  const past = jsonPastBound(bytes, bounds)
  if (past === undefined) return
  if (past === 'maxDepth') throw new AppError('malformed_request', `the JSON nests deeper than ${bounds.maxDepth} levels`)
  const what = {
    maxStrings: `${bounds.maxStrings} strings`,
    maxContainers: `${bounds.maxContainers} arrays and objects`,
    maxEntries: `${bounds.maxEntries} array elements and object members`
  }[past]
  throw new AppError('payload_too_large', `the JSON holds more than ${what}, more than any valid request to this endpoint`)
}

/** Index of the quote that closes the string opened at `open` (one not escaped by an odd run of backslashes). */
function closingQuote(bytes: Uint8Array, open: number): number {
  let at = open
  for (;;) {
    at = bytes.indexOf(0x22, at + 1)
    if (at < 0) return bytes.length // unterminated: JSON.parse will say so
    let backslashes = 0
    while (bytes[at - 1 - backslashes] === 0x5c) backslashes++
    if (backslashes % 2 === 0) return at
  }
}
