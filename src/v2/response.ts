import { encodeBytesTensor } from './bytes-tensor'

/** One output tensor of a response: model scores (FP32) or classification strings (BYTES). */
export interface OutputTensor {
  name: string
  datatype: 'FP32' | 'BYTES'
  shape: number[]
  data: Float32Array | string[]
  /** Sent in the binary part (binary tensor data extension) instead of JSON `data`. */
  binary: boolean
}

export interface ResponseHead {
  model_name: string
  model_version: string
  id?: string
}

export interface EncodedResponse {
  body: Uint8Array
  headers: Record<string, string>
}

const utf8 = new TextEncoder()

function binaryOf(output: OutputTensor): Uint8Array {
  if (output.data instanceof Float32Array) return new Uint8Array(output.data.buffer, output.data.byteOffset, output.data.byteLength)
  return encodeBytesTensor(output.data.map((s) => utf8.encode(s)))
}

/**
 * An inference response. JSON only, unless an output is binary: then the JSON (its length in
 * Inference-Header-Content-Length) is followed by each binary output's bytes in output order, each output
 * carrying `parameters.binary_data_size` — exactly what tritonclient's http/_infer_result.py reads back
 * (it walks `outputs` in order, summing binary_data_size to find each tensor in the buffer).
 */
export function encodeInferResponse(head: ResponseHead, outputs: readonly OutputTensor[]): EncodedResponse {
  const chunks: Uint8Array[] = []
  const json = {
    ...head,
    outputs: outputs.map(({ name, datatype, shape, data, binary }) => {
      if (!binary) return { name, datatype, shape, data: data instanceof Float32Array ? Array.from(data) : data }
      const bytes = binaryOf({ name, datatype, shape, data, binary })
      chunks.push(bytes)
      return { name, datatype, shape, parameters: { binary_data_size: bytes.length } }
    })
  }
  const header = utf8.encode(JSON.stringify(json))
  if (chunks.length === 0) return { body: header, headers: { 'content-type': 'application/json' } }
  const body = new Uint8Array(header.length + chunks.reduce((n, c) => n + c.length, 0))
  body.set(header)
  let at = header.length
  for (const chunk of chunks) {
    body.set(chunk, at)
    at += chunk.length
  }
  return { body, headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) } }
}
