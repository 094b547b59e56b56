import { describe, expect, test } from 'bun:test'
import { decodeBytesTensor, encodeBytesTensor } from '../../src/v2/bytes-tensor'
import { classificationStrings, formatScore } from '../../src/v2/classification'
import { type ParseLimits, parseInferRequest } from '../../src/v2/request'
import { encodeInferResponse } from '../../src/v2/response'

// Bodies below are built the way tritonclient's http/_utils.py _get_inference_request builds them:
// rapidjson.dumps (no spaces) of the request, then each input's raw bytes in input order; the JSON length
// goes in Inference-Header-Content-Length. _infer_input.py sets parameters.binary_data_size per input.
const utf8 = new TextEncoder()
const join = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) out.set(p, (at += p.length) - p.length)
  return out
}
const f32 = (...values: number[]) => new Uint8Array(Float32Array.from(values).buffer)
/** serialize_byte_tensor: per element, struct.pack("<I", len) then the bytes. */
const le32 = (n: number) => Uint8Array.from([n & 255, (n >> 8) & 255, (n >> 16) & 255, n >>> 24])
/** Room for every body below; the bounds themselves are tested in request-bounds.test.ts. */
const LIMITS: ParseLimits = { json: { maxDepth: 16, maxStrings: 1024, maxContainers: 1024, maxEntries: 1024 } }

describe('BYTES elements (4-byte little-endian length, then the bytes)', () => {
  test('encode matches serialize_byte_tensor byte for byte, and decodes back', () => {
    const elements = [utf8.encode('ab'), new Uint8Array(0), Uint8Array.from([255, 0, 7])]
    const wire = encodeBytesTensor(elements)
    expect([...wire]).toEqual([2, 0, 0, 0, 97, 98, 0, 0, 0, 0, 3, 0, 0, 0, 255, 0, 7])
    expect(decodeBytesTensor(wire, 'x').map((e) => [...e])).toEqual(elements.map((e) => [...e]))
  })

  test('a truncated length or element is a 400 naming the input', () => {
    expect(() => decodeBytesTensor(Uint8Array.from([2, 0]), 'image')).toThrow(
      'input "image": BYTES data ends inside a 4-byte length prefix'
    )
    expect(() => decodeBytesTensor(Uint8Array.from([9, 0, 0, 0, 1]), 'image')).toThrow('claims 9 bytes, only 1 remain')
  })
})

describe('parseInferRequest', () => {
  test('JSON: FP32 nested data, BYTES strings, outputs with classification, id', () => {
    const body = utf8.encode(
      JSON.stringify({
        id: 'r1',
        inputs: [
          {
            name: 'input',
            shape: [1, 2, 2],
            datatype: 'FP32',
            data: [
              [
                [1, 2],
                [3, 4.5]
              ]
            ]
          },
          { name: 'image', shape: [2], datatype: 'BYTES', data: ['aGk=', 'data:image/png;base64,AA=='] }
        ],
        outputs: [{ name: 'output', parameters: { classification: 3, binary_data: false } }]
      })
    )
    const request = parseInferRequest(body, null, LIMITS)
    expect(request.id).toBe('r1')
    expect(request.inputs[0]).toEqual({
      name: 'input',
      datatype: 'FP32',
      shape: [1, 2, 2],
      data: Float32Array.from([1, 2, 3, 4.5]),
      binary: false
    })
    expect(new TextDecoder().decode((request.inputs[1]!.data as Uint8Array[])[1])).toBe('data:image/png;base64,AA==')
    expect(request.outputs).toEqual([{ name: 'output', binaryData: false, classification: 3 }])
    expect(request.binaryDataOutput).toBe(false)
  })

  test('binary: FP32 and BYTES after the JSON, split by binary_data_size in input order', () => {
    const image = Uint8Array.from([0xff, 0xd8, 0xff, 1, 2])
    const bytesInput = join(le32(image.length), image)
    const header = utf8.encode(
      JSON.stringify({
        inputs: [
          { name: 'input', shape: [1, 3], datatype: 'FP32', parameters: { binary_data_size: 12 } },
          { name: 'image', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: bytesInput.length } }
        ],
        parameters: { binary_data_output: true }
      })
    )
    const request = parseInferRequest(join(header, f32(0.5, -1, 2), bytesInput), String(header.length), LIMITS)
    expect(request.inputs[0]!.data).toEqual(Float32Array.from([0.5, -1, 2]))
    expect((request.inputs[1]!.data as Uint8Array[]).map((e) => [...e])).toEqual([[...image]])
    expect(request.inputs.map((i) => i.binary)).toEqual([true, true])
    expect(request.binaryDataOutput).toBe(true)
    expect(request.outputs).toBeUndefined()
  })

  const x = (extra: string) => `{"inputs":[{"name":"x",${extra}}]`
  // [name, JSON, binary part, Inference-Header-Content-Length ('json': the JSON's length), message]
  const bad: Array<[string, string, Uint8Array | undefined, string | null, string]> = [
    ['not JSON', '{"inputs": [', undefined, null, 'not valid UTF-8 JSON'],
    ['no inputs', '{"inputs": []}', undefined, null, 'inference request /inputs'],
    [
      'unknown datatype',
      x('"shape":[1],"datatype":"FP16","data":[1]') + '}',
      undefined,
      null,
      'input "x": datatype "FP16" is not supported'
    ],
    [
      'count mismatch',
      x('"shape":[2,2],"datatype":"FP32","data":[1,2,3]') + '}',
      undefined,
      null,
      'input "x": shape [2,2] holds 4 elements, data has 3'
    ],
    ['string in FP32', x('"shape":[1],"datatype":"FP32","data":["1"]') + '}', undefined, null, 'every FP32 element must be a number'],
    [
      'UINT8 out of range',
      x('"shape":[1],"datatype":"UINT8","data":[256]') + '}',
      undefined,
      null,
      'every UINT8 element must be an integer 0–255'
    ],
    ['no data at all', x('"shape":[1],"datatype":"FP32"') + '}', undefined, null, 'input "x": no data and no parameters.binary_data_size'],
    ['header length past the body', '{}', undefined, '99', 'Inference-Header-Content-Length "99"'],
    [
      'binary size past the data',
      x('"shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}') + '}',
      undefined,
      'json',
      'binary_data_size 4 does not fit'
    ],
    [
      'binary size not the shape',
      x('"shape":[2],"datatype":"FP32","parameters":{"binary_data_size":4}') + '}',
      f32(1),
      'json',
      'shape [2] of FP32 is 8 bytes, binary_data_size is 4'
    ],
    [
      'bytes left over',
      x('"shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}') + '}',
      f32(1, 2),
      'json',
      '4 bytes of binary data after the last input'
    ],
    [
      'bad classification',
      x('"shape":[1],"datatype":"FP32","data":[1]') + ',"outputs":[{"name":"y","parameters":{"classification":"3"}}]}',
      undefined,
      null,
      'output "y": parameters.classification must be a non-negative integer'
    ]
  ]
  for (const [name, json, binary, length, message] of bad)
    test(`400 with a message naming what is wrong: ${name}`, () => {
      const header = utf8.encode(json)
      let thrown: unknown
      try {
        parseInferRequest(join(header, binary ?? new Uint8Array(0)), length === 'json' ? String(header.length) : length, LIMITS)
      } catch (error) {
        thrown = error
      }
      expect(thrown).toMatchObject({ status: 400, message: expect.stringContaining(message) })
    })
})

describe('classification extension (as Triton formats it)', () => {
  test('scores print like std::to_string(float): six decimals, ties to even, nan/inf', () => {
    expect(formatScore(0.657)).toBe('0.657000')
    expect(formatScore(14.5)).toBe('14.500000')
    expect(formatScore(-3.25)).toBe('-3.250000')
    expect(formatScore(2 ** -7)).toBe('0.007812') // exactly 0.0078125: glibc rounds the tie to even
    expect(formatScore(-1e-9)).toBe('-0.000000')
    expect(formatScore(-0)).toBe('0.000000') // as the result cache (JSON) gives it back
    expect([formatScore(NaN), formatScore(Infinity)]).toEqual(['nan', 'inf'])
  })

  test('top classes as "score:index:label" ("score:index" without a label), in the order given', () => {
    const top = [
      { score: 0.5, class_index: 1, label: 'b' },
      { score: 0.25, class_index: 2, label: undefined as unknown as string }
    ]
    expect(classificationStrings(top)).toEqual(['0.500000:1:b', '0.250000:2'])
  })
})

describe('encodeInferResponse', () => {
  const head = { model_name: 'm', model_version: '1', id: 'r1' }

  test('JSON only: data inline, application/json, no header length', () => {
    const { body, headers } = encodeInferResponse(head, [
      { name: 'output', datatype: 'FP32', shape: [1, 2], data: Float32Array.from([0.5, 2]), binary: false }
    ])
    expect(headers).toEqual({ 'content-type': 'application/json' })
    expect(JSON.parse(new TextDecoder().decode(body))).toEqual({
      ...head,
      outputs: [{ name: 'output', datatype: 'FP32', shape: [1, 2], data: [0.5, 2] }]
    })
  })

  test('binary: JSON then each binary output in order, found by summing binary_data_size (as _infer_result.py does)', () => {
    const { body, headers } = encodeInferResponse(head, [
      { name: 'cls', datatype: 'BYTES', shape: [1, 1], data: ['0.5:1:b'], binary: true },
      { name: 'json', datatype: 'FP32', shape: [1], data: Float32Array.from([3]), binary: false },
      { name: 'output', datatype: 'FP32', shape: [1, 2], data: Float32Array.from([0.5, 2]), binary: true }
    ])
    expect(headers['content-type']).toBe('application/octet-stream')
    const jsonLength = Number(headers['inference-header-content-length'])
    const json = JSON.parse(new TextDecoder().decode(body.subarray(0, jsonLength)))
    expect(json.outputs.map((o: any) => o.parameters?.binary_data_size)).toEqual([11, undefined, 8])
    expect(json.outputs[1].data).toEqual([3])
    const buffer = body.subarray(jsonLength)
    expect([...buffer.subarray(0, 11)]).toEqual([7, 0, 0, 0, ...utf8.encode('0.5:1:b')])
    expect(new Float32Array(buffer.slice(11).buffer)).toEqual(Float32Array.from([0.5, 2]))
  })
})
