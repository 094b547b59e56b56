import { Value } from '@sinclair/typebox/value'
import { checkJsonBounds, type JsonBounds } from '../http/json-bounds'
import { isV2Datatype, type V2Datatype } from './datatypes'
import { V2Error } from './error'
import { binaryInput, jsonInput, type JsonInput, type RequestInput } from './input-data'
import { InferRequestSchema, type InferRequestJson } from './schemas'

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

/** An input as the request declares it, before any of its data is read. */
export interface DeclaredInput {
  name: string
  datatype: string
  shape: readonly number[]
}

/** What parseInferRequest may build, and what must hold before it builds anything. */
export interface ParseLimits {
  /** Bounds on the JSON part, checked by a byte scan before JSON.parse (see inferJsonBounds). */
  json: JsonBounds
  /** The model's check of the declared inputs (names, datatypes, shapes), run before any input's data is decoded. */
  checkDeclared?: (inputs: readonly DeclaredInput[]) => void
}

/**
 * Parses an inference request body. With `headerLength` (the Inference-Header-Content-Length header), the
 * first that many bytes are the JSON and the rest is binary tensor data, consumed in input order by each
 * input's `parameters.binary_data_size` (tritonclient's http/_utils.py appends each input's raw bytes in
 * order after the JSON, and _infer_input.py sets binary_data_size to their length). Throws V2Error (400).
 * Every check that needs no data (JSON bounds, datatypes, the model's fit, binary sizes) runs on every input
 * before any input's data is decoded, and a shape's element count is compared before its data is built.
 */
export function parseInferRequest(body: Uint8Array, headerLength: string | null, limits: ParseLimits): InferRequest {
  const jsonLength = headerLength === null ? body.length : Number(headerLength)
  if (!Number.isInteger(jsonLength) || jsonLength < 0 || jsonLength > body.length)
    throw new V2Error(
      `Inference-Header-Content-Length ${JSON.stringify(headerLength)} is not a byte count within the ${body.length}-byte body`
    )
  const json = parseJson(body.subarray(0, jsonLength), limits.json)
  const binary = body.subarray(jsonLength)
  const datatypes = json.inputs.map(checkedDatatype)
  limits.checkDeclared?.(json.inputs)
  const parts = binaryParts(json.inputs, binary)
  const inputs = json.inputs.map((input, i) =>
    parts[i] === undefined ? jsonInput(input, datatypes[i]!) : binaryInput(input, datatypes[i]!, parts[i]!)
  )
  return {
    id: json.id,
    inputs,
    outputs: json.outputs?.map((output) => requestedOutput(output.name, output.parameters ?? {})),
    binaryDataOutput: json.parameters?.binary_data_output === true
  }
}

function parseJson(bytes: Uint8Array, bounds: JsonBounds): InferRequestJson {
  // Before JSON.parse, which builds every value at once: a few KB of gzip can declare millions of tiny strings.
  checkJsonBounds(bytes, bounds)
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

/** Each input's slice of the binary data (undefined for an input whose data is in the JSON), all sizes checked first. */
function binaryParts(inputs: readonly JsonInput[], binary: Uint8Array): Array<Uint8Array | undefined> {
  let offset = 0
  const parts = inputs.map((input) => {
    const size = input.parameters?.binary_data_size
    if (size === undefined) {
      if (input.data === undefined) throw new V2Error(`input "${input.name}": no data and no parameters.binary_data_size`)
      return undefined
    }
    if (input.data !== undefined) throw new V2Error(`input "${input.name}": has both data and parameters.binary_data_size`)
    if (!Number.isInteger(size) || (size as number) < 0 || offset + (size as number) > binary.length)
      throw new V2Error(
        `input "${input.name}": binary_data_size ${JSON.stringify(size)} does not fit the ${binary.length - offset} bytes of binary data left`
      )
    offset += size as number
    return binary.subarray(offset - (size as number), offset)
  })
  if (offset !== binary.length) throw new V2Error(`${binary.length - offset} bytes of binary data after the last input's binary_data_size`)
  return parts
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
