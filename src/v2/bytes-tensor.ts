import { V2Error } from './error'

/**
 * BYTES elements in the binary tensor data extension: each one is a 4-byte little-endian length followed
 * by that many bytes, elements back to back (what tritonclient.utils.serialize_byte_tensor writes and
 * deserialize_bytes_tensor reads).
 */
export function encodeBytesTensor(elements: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(elements.reduce((n, e) => n + 4 + e.length, 0))
  const view = new DataView(out.buffer)
  let at = 0
  for (const element of elements) {
    view.setUint32(at, element.length, true)
    out.set(element, at + 4)
    at += 4 + element.length
  }
  return out
}

/**
 * How many elements BYTES data holds, counted from the length prefixes without building any: at most `atMost + 1`
 * (it stops there, so a body of zero-length elements costs no more than the count a shape allows). 400 naming
 * `name` when a prefix or an element runs past the end.
 */
export function countBytesElements(data: Uint8Array, name: string, atMost = Number.POSITIVE_INFINITY): number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  let count = 0
  for (let at = 0; at < data.length && count <= atMost; count++) {
    if (at + 4 > data.length) throw new V2Error(`input "${name}": BYTES data ends inside a 4-byte length prefix at byte ${at}`)
    const length = view.getUint32(at, true)
    if (at + 4 + length > data.length)
      throw new V2Error(`input "${name}": BYTES element at byte ${at} claims ${length} bytes, only ${data.length - at - 4} remain`)
    at += 4 + length
  }
  return count
}

/**
 * The inverse of encodeBytesTensor (views into `data`, no copies); `name` is the tensor named in the error when the
 * bytes do not add up. `count`: what countBytesElements found for the same data, when the caller has it already
 * (it counts first, to compare with a shape before anything is built).
 */
export function decodeBytesTensor(data: Uint8Array, name: string, count = countBytesElements(data, name)): Uint8Array[] {
  const elements = new Array<Uint8Array>(count)
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  for (let i = 0, at = 0; i < elements.length; i++) {
    const length = view.getUint32(at, true)
    elements[i] = data.subarray(at + 4, at + 4 + length)
    at += 4 + length
  }
  return elements
}
