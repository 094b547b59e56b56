import { describe, expect, test } from 'bun:test'
import { jsonPastBound } from '../../src/http/json-bounds'
import { discoverModels } from '../../src/models/catalog'
import { countBytesElements } from '../../src/v2/bytes-tensor'
import { checkModelInputs } from '../../src/v2/inputs'
import { type ParseLimits, parseInferRequest } from '../../src/v2/request'
import { inferJsonBounds, nestedArrays, nestedEntries } from '../../src/v2/request-bounds'
import { MODELS_DIR } from '../../tools/model-repo'

const catalog = discoverModels(MODELS_DIR, { maxBatchSize: 0, maxBatchDelayMs: -1 })
const utf8 = new TextEncoder()
/** Nested row-major zeros of `shape`, as a client writing a tensor in JSON would send it. */
const nested = (shape: readonly number[]): unknown =>
  shape.length === 0 ? 0 : Array.from({ length: shape[0]! }, () => nested(shape.slice(1)))
const request = (input: Record<string, unknown>) => utf8.encode(JSON.stringify({ inputs: [input] }))
const thrown = (run: () => unknown) => {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('nestedArrays / nestedEntries: what a tensor written fully nested holds', () => {
  const cases: [number[], number, number][] = [
    [[5], 1, 5], // [a,b,c,d,e]
    [[2, 3], 3, 2 + 6], // [[a,b,c],[d,e,f]]
    [[2, 3, 4], 1 + 2 + 6, 2 + 6 + 24],
    [[16, 3, 224, 224], 1 + 16 + 48 + 10_752, 16 + 48 + 10_752 + 2_408_448]
  ]
  for (const [shape, arrays, entries] of cases)
    test(`[${shape}]: ${arrays} arrays, ${entries} entries`, () => {
      expect([nestedArrays(shape), nestedEntries(shape)]).toEqual([arrays, entries])
      // The scanner counts the same thing in the JSON itself.
      const json = utf8.encode(JSON.stringify(nested(shape)))
      const exact = { maxDepth: 8, maxStrings: 0, maxContainers: arrays, maxEntries: entries }
      expect(jsonPastBound(json, exact)).toBeUndefined()
      expect(jsonPastBound(json, { ...exact, maxContainers: arrays - 1 })).toBe('maxContainers')
      expect(jsonPastBound(json, { ...exact, maxContainers: arrays, maxEntries: entries - 1 })).toBe('maxEntries')
    })
})

describe('inferJsonBounds: the largest valid request passes, one image more does not', () => {
  const maxImages = 2
  for (const name of ['mobilenetv2', 'mobilenetv2-uint8-nhwc']) {
    const spec = catalog.resolve(name)
    const input = spec.manifest.input
    const shape = input.layout === 'NHWC' ? [input.height, input.width, 3] : [3, input.height, input.width]
    const datatype = input.datatype === 'uint8' ? 'UINT8' : 'FP32'
    const bounds = inferJsonBounds(spec, maxImages)

    test(`${name}: its tensor, nested, for the most images a request may hold`, () => {
      const body = (n: number) => request({ name: input.name, shape: [n, ...shape], datatype, data: nested([n, ...shape]) })
      expect(jsonPastBound(body(maxImages), bounds)).toBeUndefined()
      expect(jsonPastBound(body(maxImages + 1), bounds)).toBeDefined()
    })
  }

  test('BYTES: one string per image, with a full envelope; more strings than any request holds are past', () => {
    const bounds = inferJsonBounds(catalog.resolve('mobilenetv2'), maxImages)
    const image = { name: 'image', shape: [maxImages], datatype: 'BYTES', data: Array(maxImages).fill('aGk=') }
    const outputs = Array.from({ length: 8 }, () => ({ name: 'output', parameters: { classification: 5, binary_data: true } }))
    const full = utf8.encode(JSON.stringify({ id: 'r', parameters: { binary_data_output: true }, inputs: [image], outputs }))
    expect(jsonPastBound(full, bounds)).toBeUndefined()
    const many = request({ ...image, shape: [bounds.maxStrings], data: Array(bounds.maxStrings).fill('a') })
    expect(jsonPastBound(many, bounds)).toBe('maxStrings')
  })

  test('a shape of rank 8 written fully nested is not too deep; much deeper is', () => {
    const bounds = inferJsonBounds(catalog.resolve('mobilenetv2'), maxImages)
    expect(
      jsonPastBound(request({ name: 'x', shape: Array(8).fill(1), datatype: 'FP32', data: nested(Array(8).fill(1)) }), bounds)
    ).toBeUndefined()
    expect(jsonPastBound(utf8.encode('['.repeat(100)), bounds)).toBe('maxDepth')
  })
})

describe('huge shapes are refused on the declaration, before any data is read', () => {
  const spec = catalog.resolve('mobilenetv2')
  const limits: ParseLimits = {
    json: inferJsonBounds(spec, 16),
    checkDeclared: (inputs) => checkModelInputs(spec, inputs, { maxImagesPerRequest: 16 })
  }
  const cases: [string, Record<string, unknown>, number, string][] = [
    [
      '[2^31-1, 2^31-1] BYTES',
      { name: 'image', shape: [2 ** 31 - 1, 2 ** 31 - 1], datatype: 'BYTES', data: [] },
      413,
      'holds 2147483647 images'
    ],
    [
      '[2^31-1, 2^31-1] FP32',
      { name: 'input', shape: [2 ** 31 - 1, 2 ** 31 - 1], datatype: 'FP32', data: [] },
      413,
      'holds 2147483647 images'
    ],
    [
      '[1, 3, 2^31-1, 2^31-1] FP32',
      { name: 'input', shape: [1, 3, 2 ** 31 - 1, 2 ** 31 - 1], datatype: 'FP32', data: [] },
      400,
      'expected FP32 [N,3,224,224]'
    ],
    [
      'a dimension past 2^31-1',
      { name: 'input', shape: [2 ** 31], datatype: 'FP32', data: [] },
      400,
      'inference request /inputs/0/shape/0'
    ],
    [
      'a dimension of 1e300',
      { name: 'input', shape: [1e300, 1e300], datatype: 'FP32', data: [] },
      400,
      'inference request /inputs/0/shape/0'
    ],
    ['rank 9', { name: 'input', shape: Array(9).fill(1), datatype: 'FP32', data: [0] }, 400, 'inference request /inputs/0/shape']
  ]
  for (const [what, input, status, message] of cases)
    test(`${what}: ${status}`, () =>
      expect(thrown(() => parseInferRequest(request(input), null, limits))).toMatchObject({
        status,
        message: expect.stringContaining(message)
      }))

  test("the model's check runs before any input's data is decoded", () => {
    const order: string[] = []
    // FP32 data that is not numbers would be a 400 from decoding; the declared check must come first.
    const body = request({ name: 'x', shape: [1], datatype: 'FP32', data: ['not a number'] })
    const error = thrown(() =>
      parseInferRequest(body, null, {
        json: limits.json,
        checkDeclared: (inputs) => {
          order.push(...inputs.map((i) => i.name))
          throw new Error('declared check')
        }
      })
    )
    expect([order, (error as Error).message]).toEqual([['x'], 'declared check'])
  })
})

describe('binary BYTES: counted from the length prefixes before any element is built', () => {
  // Six million zero-length elements: 24 MB of zero bytes.
  const empties = new Uint8Array(4 * 6_000_000)

  test('the count stops one past what the shape allows', () => {
    expect(countBytesElements(empties, 'image', 16)).toBe(17)
    expect(countBytesElements(empties, 'image')).toBe(6_000_000)
  })

  test('a shape of [1] with six million elements is a 400 saying "more than 1"', () => {
    const header = utf8.encode(
      JSON.stringify({ inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: empties.length } }] })
    )
    const body = new Uint8Array(header.length + empties.length)
    body.set(header)
    const limits: ParseLimits = { json: { maxDepth: 16, maxStrings: 100, maxContainers: 100, maxEntries: 100 } }
    expect(thrown(() => parseInferRequest(body, String(header.length), limits))).toMatchObject({
      status: 400,
      message: 'input "image": shape [1] holds 1 elements, binary data has more than 1'
    })
  })
})
