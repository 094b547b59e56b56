import { countBytesElements, decodeBytesTensor } from './bytes-tensor'
import { elementCount, ELEMENT_BYTES, type V2Datatype } from './datatypes'
import { V2Error } from './error'
import { MAX_SHAPE_RANK, type InferRequestJson } from './schemas'

// One input's data, decoded once the request's cheap checks have passed (parseInferRequest). Each decoder compares
// the element count with the shape before it builds anything, so what it allocates is what the shape declares.

/** One input tensor, decoded. BYTES elements from JSON are the UTF-8 bytes of their strings. */
export interface RequestInput {
  name: string
  datatype: V2Datatype
  shape: number[]
  data: Float32Array | Uint8Array | Uint8Array[]
  /** Whether the data came in the binary part (BYTES: raw bytes) or in JSON (BYTES: text). */
  binary: boolean
}

/** One input as the JSON part declares it. */
export type JsonInput = InferRequestJson['inputs'][number]

const utf8 = new TextEncoder()

/**
 * Calls `take` on each element of row-major data, flat or nested (the spec allows both), in order; bounded depth.
 * Walks the parsed arrays in place: no flattened copy is built.
 */
function eachElement(data: unknown, name: string, take: (value: unknown) => void, depth = 0): void {
  if (!Array.isArray(data)) throw new V2Error(`input "${name}": data must be an array`)
  if (depth > MAX_SHAPE_RANK) throw new V2Error(`input "${name}": data is nested deeper than any shape allows`)
  for (const item of data) {
    if (Array.isArray(item)) eachElement(item, name, take, depth + 1)
    else take(item)
  }
}

/** An input whose data is in the JSON: typed values, checked one by one, into an array sized by its shape. */
export function jsonInput(input: JsonInput, datatype: V2Datatype): RequestInput {
  const expected = elementCount(input.shape)
  // Counted before anything is built, so the arrays below are sized by a count that matches the shape.
  let found = 0
  eachElement(input.data, input.name, () => found++)
  if (found !== expected)
    throw new V2Error(`input "${input.name}": shape [${input.shape.join(',')}] holds ${expected} elements, data has ${found}`)
  const bad = (what: string) => new V2Error(`input "${input.name}": every ${datatype} element must be ${what}`)
  let data: RequestInput['data']
  let at = 0
  if (datatype === 'BYTES') {
    const strings: Uint8Array[] = []
    eachElement(input.data, input.name, (v) => {
      if (typeof v !== 'string') throw bad('a string')
      strings.push(utf8.encode(v))
    })
    data = strings
  } else if (datatype === 'UINT8') {
    const bytes = new Uint8Array(expected)
    eachElement(input.data, input.name, (v) => {
      if (!(Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255)) throw bad('an integer 0–255')
      bytes[at++] = v as number
    })
    data = bytes
  } else {
    const floats = new Float32Array(expected)
    eachElement(input.data, input.name, (v) => {
      if (typeof v !== 'number') throw bad('a number')
      floats[at++] = v
    })
    data = floats
  }
  return { name: input.name, datatype, shape: input.shape, data, binary: false }
}

/** An input whose data is its slice of the binary part: fixed-size types copied, BYTES as views into it. */
export function binaryInput(input: JsonInput, datatype: V2Datatype, bytes: Uint8Array): RequestInput {
  const expected = elementCount(input.shape)
  const shape = `shape [${input.shape.join(',')}]`
  let data: RequestInput['data']
  if (datatype === 'BYTES') {
    // Counted from the length prefixes first: 4 bytes per empty element would otherwise build millions of views.
    const found = countBytesElements(bytes, input.name, expected)
    if (found !== expected)
      throw new V2Error(
        `input "${input.name}": ${shape} holds ${expected} elements, binary data has ${found > expected ? `more than ${expected}` : found}`
      )
    data = decodeBytesTensor(bytes, input.name, found)
  } else {
    const size = expected * ELEMENT_BYTES[datatype]
    if (bytes.length !== size)
      throw new V2Error(`input "${input.name}": ${shape} of ${datatype} is ${size} bytes, binary_data_size is ${bytes.length}`)
    // A copy at offset 0 is aligned for a Float32Array view; the wire is little-endian, as are x86 and ARM hosts.
    data = datatype === 'FP32' ? new Float32Array(bytes.slice().buffer) : bytes.slice()
  }
  return { name: input.name, datatype, shape: input.shape, data, binary: true }
}
