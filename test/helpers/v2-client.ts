import { deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib'
/**
 * A test client for /v2 that puts bytes on the wire the way NVIDIA's tritonclient (HTTP) does, written
 * from its source (triton-inference-server/client, src/python/library/tritonclient/http/): _utils.py
 * _get_inference_request (rapidjson.dumps of the request, then each input's raw bytes in input order,
 * Inference-Header-Content-Length = the JSON's length; binary_data_output when no outputs are named),
 * _infer_input.py (binary_data_size per binary input; BYTES serialised as 4-byte LE length + bytes),
 * _requested_output.py (parameters.binary_data always, classification only when non-zero) and
 * _infer_result.py (the response's JSON header, then binary outputs found by summing binary_data_size),
 * and _client.py's infer for compression (request_compression_algorithm: gzip.compress or zlib.compress of the
 * whole body, Content-Encoding; response_compression_algorithm, by default the request's: Accept-Encoding;
 * Inference-Header-Content-Length always the uncompressed JSON's length; the answer decompressed by its
 * Content-Encoding before it is split).
 * tritonclient itself cannot be installed here (no PyPI); this is its wire format, not its code.
 */
export interface ClientInput {
  name: string
  shape: number[]
  datatype: 'FP32' | 'UINT8' | 'BYTES'
  data: Float32Array | Uint8Array | Uint8Array[] | string[]
  /** Send the data after the JSON (set_data_from_numpy(binary_data=True), the client's default). */
  binary: boolean
}

export interface ClientOutput {
  name: string
  binary: boolean
  classCount?: number
}

const utf8 = new TextEncoder()

/** serialize_byte_tensor: per element struct.pack("<I", len) then the bytes (kept independent of src/v2, as an oracle). */
function serializeBytes(elements: Uint8Array[]): Uint8Array {
  const lengthOf = (e: Uint8Array) => Buffer.from(Uint32Array.of(e.length).buffer) // little-endian hosts, like the wire
  return new Uint8Array(Buffer.concat(elements.flatMap((e) => [lengthOf(e), Buffer.from(e)])))
}

function rawOf(input: ClientInput): Uint8Array {
  if (input.datatype === 'BYTES')
    return serializeBytes((input.data as Array<Uint8Array | string>).map((e) => (typeof e === 'string' ? utf8.encode(e) : e)))
  const data = input.data as Float32Array | Uint8Array
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

/** The body and headers tritonclient's InferenceServerClient.infer would send. */
export function inferRequest(
  inputs: ClientInput[],
  outputs?: ClientOutput[],
  id?: string,
  compression?: { request?: 'gzip' | 'deflate'; response?: 'gzip' | 'deflate' }
): { body: Uint8Array; headers: Record<string, string> } {
  const plain = uncompressedRequest(inputs, outputs, id)
  const requestCoding = compression?.request
  const responseCoding = compression?.response ?? requestCoding
  if (!requestCoding && !responseCoding) return plain
  const headers = { ...plain.headers }
  if (requestCoding) headers['Content-Encoding'] = requestCoding
  if (responseCoding) headers['Accept-Encoding'] = responseCoding
  const body = requestCoding === 'gzip' ? gzipSync(plain.body) : requestCoding === 'deflate' ? deflateSync(plain.body) : plain.body
  return { body: new Uint8Array(body), headers }
}

function uncompressedRequest(
  inputs: ClientInput[],
  outputs?: ClientOutput[],
  id?: string
): { body: Uint8Array; headers: Record<string, string> } {
  const raws: Uint8Array[] = []
  const request: Record<string, unknown> = {}
  if (id) request.id = id
  request.inputs = inputs.map((input) => {
    const tensor: Record<string, unknown> = { name: input.name, shape: input.shape, datatype: input.datatype }
    if (input.binary) {
      const raw = rawOf(input)
      raws.push(raw)
      tensor.parameters = { binary_data_size: raw.length }
    } else tensor.data = Array.from(input.data as ArrayLike<number | string>)
    return tensor
  })
  if (outputs)
    request.outputs = outputs.map((o) => ({
      name: o.name,
      parameters: { ...(o.classCount ? { classification: o.classCount } : {}), binary_data: o.binary }
    }))
  else request.parameters = { binary_data_output: true }
  const json = utf8.encode(JSON.stringify(request))
  if (raws.length === 0) return { body: json, headers: {} }
  const body = new Uint8Array(json.length + raws.reduce((n, r) => n + r.length, 0))
  body.set(json)
  let at = json.length
  for (const raw of raws) body.set(raw, (at += raw.length) - raw.length)
  return { body, headers: { 'Inference-Header-Content-Length': String(json.length) } }
}

export interface InferResult {
  json: {
    model_name: string
    model_version: string
    id?: string
    outputs: Array<{ name: string; datatype: string; shape: number[]; data?: unknown[]; parameters?: { binary_data_size?: number } }>
  }
  /** InferResult.as_numpy: an output's elements, flat. */
  asArray(name: string): Float32Array | string[]
}

/** Reads a response as _infer_result.py does. */
export async function readInferResult(response: Response): Promise<InferResult> {
  const received = new Uint8Array(await response.arrayBuffer())
  // tritonclient's HTTP client hands over the body as sent; fetch (over a socket) has already decompressed it and
  // keeps the header, so only a body that does not start as JSON is decompressed here.
  const encoding = received[0] === 0x7b ? null : response.headers.get('Content-Encoding')
  // A plain Uint8Array (not a Buffer, whose slice() is a view into a shared pool), as the code below slices copies.
  const bytes =
    encoding === 'gzip' ? new Uint8Array(gunzipSync(received)) : encoding === 'deflate' ? new Uint8Array(inflateSync(received)) : received
  const headerLength = response.headers.get('Inference-Header-Content-Length')
  const split = headerLength === null ? bytes.length : Number(headerLength)
  const json = JSON.parse(new TextDecoder().decode(bytes.subarray(0, split))) as InferResult['json']
  const buffer = bytes.subarray(split)
  const offsets = new Map<string, number>()
  let index = 0
  for (const output of json.outputs) {
    const size = output.parameters?.binary_data_size
    if (size !== undefined) {
      offsets.set(output.name, index)
      index += size
    }
  }
  return {
    json,
    asArray(name) {
      const output = json.outputs.find((o) => o.name === name)!
      const size = output.parameters?.binary_data_size
      if (size === undefined) return output.datatype === 'BYTES' ? (output.data as string[]) : Float32Array.from(output.data as number[])
      const raw = buffer.slice(offsets.get(name)!, offsets.get(name)! + size)
      if (output.datatype !== 'BYTES') return new Float32Array(raw.buffer)
      const view = new DataView(raw.buffer)
      const strings: string[] = []
      for (let at = 0; at < raw.length; at += 4 + view.getUint32(at, true))
        strings.push(new TextDecoder().decode(raw.subarray(at + 4, at + 4 + view.getUint32(at, true))))
      return strings
    }
  }
}
