/**
 * Whether a JSON text nests arrays/objects deeper than `maxDepth`, found by a byte scan before
 * JSON.parse: a body of 1,000,000 `[` costs tens of MB of parser stack and objects, this costs nothing.
 * Strings are skipped with a native search for their closing quote (base64 images are nearly all of a
 * predict body), so the scan costs microseconds per MB. It does not validate the JSON: JSON.parse does.
 */
export function jsonNestsDeeperThan(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]
    if (byte === 0x22) i = closingQuote(bytes, i)
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > maxDepth) return true
    } else if (byte === 0x5d || byte === 0x7d) depth--
  }
  return false
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
