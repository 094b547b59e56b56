import { Value } from '@sinclair/typebox/value'
import { decodeBytesTensor } from './bytes-tensor'
import { elementCount, ELEMENT_BYTES, isV2Datatype, type V2Datatype } from './datatypes'
import { V2Error } from './error'
import { InferRequestSchema, type InferRequestJson } from './schemas'

/** One input tensor, decoded. BYTES elements from JSON are the UTF-8 bytes of their strings. */
export interface RequestInput {
  name: string
  datatype: V2Datatype
  shape: number[]
  data: Float32Array | Uint8Array | Uint8Array[]
  /** Whether the data came in the binary part (BYTES: raw bytes) or in JSON (BYTES: text). */
  binary: boolean
}

/** One requested output: how it comes back (binary or JSON) and whether as the classification extension. */
export interface RequestedOutput {
  name: string
  /** Explicit `parameters.binary_data`; undefined falls back to the request's `binary_data_output`. */
  binaryData?: boolean
  /** `parameters.classification`: top k as "score:index:label" strings. */
  classification?: number
}

export interface InferRequest {
  id?: string
  inputs: RequestInput[]
  /** Absent: every output of the model (the spec's default). */
  outputs?: RequestedOutput[]
  /** Request-level `parameters.binary_data_output` (tritonclient sets it when no outputs are named). */
  binaryDataOutput: boolean
}

/** Header that splits a body into JSON and binary tensor data (the binary tensor data extension). */
export const HEADER_LENGTH = 'inference-header-content-length'

/**
 * Parses an inference request body. With `headerLength` (the Inference-Header-Content-Length header), the
 * first that many bytes are the JSON and the rest is binary tensor data, consumed in input order by each
 * input's `parameters.binary_data_size` (tritonclient's http/_utils.py appends each input's raw bytes in
 * order after the JSON, and _infer_input.py sets binary_data_size to their length). Throws V2Error (400).
 */
export function parseInferRequest(body: Uint8Array, headerLength: string | null): InferRequest {
  const jsonLength = headerLength === null ? body.length : Number(headerLength)
  if (!Number.isInteger(jsonLength) || jsonLength < 0 || jsonLength > body.length)
    throw new V2Error(
      `Inference-Header-Content-Length ${JSON.stringify(headerLength)} is not a byte count within the ${body.length}-byte body`
    )
  const json = parseJson(body.subarray(0, jsonLength))
  const binary = body.subarray(jsonLength)
  let offset = 0
  const inputs = json.inputs.map((input) => {
    const size = input.parameters?.binary_data_size
    if (size === undefined) return jsonInput(input)
    if (!Number.isInteger(size) || (size as number) < 0 || offset + (size as number) > binary.length)
      throw new V2Error(
        `input "${input.name}": binary_data_size ${JSON.stringify(size)} does not fit the ${binary.length - offset} bytes of binary data left`
      )
    const decoded = binaryInput(input, binary.subarray(offset, offset + (size as number)))
    offset += size as number
    return decoded
  })
  if (offset !== binary.length) throw new V2Error(`${binary.length - offset} bytes of binary data after the last input's binary_data_size`)
  return {
    id: json.id,
    inputs,
    outputs: json.outputs?.map((output) => requestedOutput(output.name, output.parameters ?? {})),
    binaryDataOutput: json.parameters?.binary_data_output === true
  }
}

function parseJson(bytes: Uint8Array): InferRequestJson {
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw new V2Error('the inference request header is not valid UTF-8 JSON', 'malformed_request')
  }
  const error = Value.Errors(InferRequestSchema, value).First()
  if (error) throw new V2Error(`inference request ${error.path || '(root)'}: ${error.message}`)
  return value as InferRequestJson
}

function checkedDatatype(input: { name: string; datatype: string }): V2Datatype {
  if (!isV2Datatype(input.datatype))
    throw new V2Error(
      `input "${input.name}": datatype ${JSON.stringify(input.datatype.slice(0, 16))} is not supported (FP32, UINT8, BYTES)`
    )
  return input.datatype
}

function requestedOutput(name: string, parameters: Record<string, unknown>): RequestedOutput {
  const { binary_data: binaryData, classification } = parameters
  if (binaryData !== undefined && typeof binaryData !== 'boolean')
    throw new V2Error(`output "${name}": parameters.binary_data must be a boolean`)
  if (classification !== undefined && !(Number.isInteger(classification) && (classification as number) >= 0))
    throw new V2Error(`output "${name}": parameters.classification must be a non-negative integer`)
  // classification 0 means "not requested" (tritonclient's InferRequestedOutput only sends it when non-zero).
  return { name, binaryData, classification: classification ? (classification as number) : undefined }
}

/** Flattens row-major nested arrays (the spec allows nested or flat `data`); bounded depth. */
function flatten(data: unknown, name: string, depth = 0): unknown[] {
  if (!Array.isArray(data)) throw new V2Error(`input "${name}": data must be an array`)
  if (depth > 8) throw new V2Error(`input "${name}": data is nested deeper than any shape allows`)
  return data.some(Array.isArray) ? data.flatMap((d) => (Array.isArray(d) ? flatten(d, name, depth + 1) : [d])) : data
}

function jsonInput(input: InferRequestJson['inputs'][number]): RequestInput {
  const datatype = checkedDatatype(input)
  if (input.data === undefined) throw new V2Error(`input "${input.name}": no data and no parameters.binary_data_size`)
  const values = flatten(input.data, input.name)
  const expected = elementCount(input.shape)
  if (values.length !== expected)
    throw new V2Error(`input "${input.name}": shape [${input.shape.join(',')}] holds ${expected} elements, data has ${values.length}`)
  const bad = (what: string) => new V2Error(`input "${input.name}": every ${datatype} element must be ${what}`)
  let data: RequestInput['data']
  if (datatype === 'BYTES') {
    if (!values.every((v) => typeof v === 'string')) throw bad('a string')
    data = (values as string[]).map((v) => new TextEncoder().encode(v))
  } else if (datatype === 'UINT8') {
    if (!values.every((v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255)) throw bad('an integer 0–255')
    data = Uint8Array.from(values as number[])
  } else {
    if (!values.every((v) => typeof v === 'number')) throw bad('a number')
    data = Float32Array.from(values as number[])
  }
  return { name: input.name, datatype, shape: input.shape, data, binary: false }
}

function binaryInput(input: InferRequestJson['inputs'][number], bytes: Uint8Array): RequestInput {
  const datatype = checkedDatatype(input)
  if (input.data !== undefined) throw new V2Error(`input "${input.name}": has both data and parameters.binary_data_size`)
  const expected = elementCount(input.shape)
  let data: RequestInput['data']
  if (datatype === 'BYTES') {
    data = decodeBytesTensor(bytes, input.name)
    if (data.length !== expected)
      throw new V2Error(
        `input "${input.name}": shape [${input.shape.join(',')}] holds ${expected} elements, binary data has ${data.length}`
      )
  } else {
    const size = expected * ELEMENT_BYTES[datatype]
    if (bytes.length !== size)
      throw new V2Error(
        `input "${input.name}": shape [${input.shape.join(',')}] of ${datatype} is ${size} bytes, binary_data_size is ${bytes.length}`
      )
    // A copy at offset 0 is aligned for a Float32Array view; the wire is little-endian, as are x86 and ARM hosts.
    data = datatype === 'FP32' ? new Float32Array(bytes.slice().buffer) : bytes.slice()
  }
  return { name: input.name, datatype, shape: input.shape, data, binary: true }
}
