import { describe, expect, test } from 'bun:test'
import { MAX_JSON_DEPTH, predictJsonBounds } from '../../src/http/predict-body'
import { checkJsonBounds, type JsonBounds, jsonPastBound } from '../../src/http/json-bounds'

const utf8 = new TextEncoder()
const WIDE = { maxDepth: 3, maxStrings: 1000, maxContainers: 1000, maxEntries: 1000 }
const past = (text: string, bounds: Partial<JsonBounds> = {}) => jsonPastBound(utf8.encode(text), { ...WIDE, ...bounds })

describe('jsonPastBound: depth', () => {
  const cases: [string, string, boolean][] = [
    ['a predict body', '{"images":["aGk=","aGk="],"top_k":3}', false],
    ['exactly the limit', '[[[1]]]', false],
    ['one past the limit', '[[[[1]]]]', true],
    ['objects count too', '{"a":{"b":{"c":{}}}}', true],
    ['brackets inside strings do not count', '{"image":"[[[[{{{{"}', false],
    ['an escaped quote does not end the string', '{"image":"\\"[[[[["}', false],
    ['an escaped backslash before the quote does end it', '{"a":"\\\\","b":[[[[1]]]]}', true],
    ['closed then reopened stays shallow', '[[[1]]],[[[1]]]', false],
    ['an unterminated string', '{"image":"[[[[[', false],
    ['a million unclosed [', '['.repeat(1_000_000), true]
  ]
  for (const [what, text, deeper] of cases) test(what, () => expect(past(text)).toBe(deeper ? 'maxDepth' : undefined))
})

describe('jsonPastBound: counts', () => {
  test('strings count keys and values; commas and brackets inside them count for nothing', () => {
    const text = '{"a":"x,[{","b":["y","z"]}' // 5 strings, 2 containers, 4 entries
    expect(past(text, { maxStrings: 5, maxContainers: 2, maxEntries: 4 })).toBeUndefined()
    expect(past(text, { maxStrings: 4 })).toBe('maxStrings')
    expect(past(text, { maxContainers: 1 })).toBe('maxContainers')
    expect(past(text, { maxEntries: 3 })).toBe('maxEntries')
  })

  test('entries are array elements and object members, nested or flat, exactly as many as there are', () => {
    expect(past('[1,2,3]', { maxEntries: 3 })).toBeUndefined()
    expect(past('[1,2,3,4]', { maxEntries: 3 })).toBe('maxEntries')
    // [[1,2],[3,4]]: 2 rows + 4 numbers; 3 arrays.
    expect(past('[[1,2],[3,4]]', { maxEntries: 6, maxContainers: 3 })).toBeUndefined()
    expect(past('[[1,2],[3,4]]', { maxEntries: 5 })).toBe('maxEntries')
    expect(past('[[1,2],[3,4]]', { maxContainers: 2 })).toBe('maxContainers')
  })

  test('empty arrays are containers: a million of them is refused long before the end', () => {
    const text = `[${'[],'.repeat(1_000_000)}[]]`
    expect(past(text, { maxContainers: 100, maxEntries: 10_000_000 })).toBe('maxContainers')
  })

  test('six million one-character strings stop the scan at the bound, before anything after them is read', () => {
    // The million brackets at the end would be 'maxDepth': the answer shows where the scan stopped.
    const bytes = utf8.encode(`{"data":[${'"a",'.repeat(6_000_000)}"a"]}${'['.repeat(1_000_000)}`)
    expect(jsonPastBound(bytes, { ...WIDE, maxStrings: 1000, maxEntries: Number.MAX_SAFE_INTEGER })).toBe('maxStrings')
    expect(jsonPastBound(bytes, { ...WIDE, maxStrings: Number.MAX_SAFE_INTEGER, maxEntries: Number.MAX_SAFE_INTEGER })).toBe('maxDepth')
  })
})

describe('checkJsonBounds', () => {
  const thrown = (text: string, bounds: Partial<JsonBounds>) => {
    try {
      checkJsonBounds(utf8.encode(text), { ...WIDE, ...bounds })
    } catch (error) {
      return error
    }
    return undefined
  }

  test('within bounds: nothing thrown', () => expect(thrown('{"a":[1,2]}', {})).toBeUndefined())
  test('too deep: 400 malformed_request', () =>
    expect(thrown('[[[[1]]]]', {})).toMatchObject({
      status: 400,
      code: 'malformed_request',
      message: 'the JSON nests deeper than 3 levels'
    }))
  test('too many strings: 413 payload_too_large naming the bound', () =>
    expect(thrown('["a","b"]', { maxStrings: 1 })).toMatchObject({
      status: 413,
      code: 'payload_too_large',
      message: expect.stringContaining('more than 1 strings')
    }))
  test('too many entries: 413 payload_too_large', () =>
    expect(thrown('[1,2]', { maxEntries: 1 })).toMatchObject({ status: 413, message: expect.stringContaining('array elements') }))
})

describe('predictJsonBounds: what a /v1 JSON body can need', () => {
  const bounds = predictJsonBounds({ maxImagesPerRequest: 4 })
  const images = (n: number) => utf8.encode(JSON.stringify({ images: Array(n).fill('aGk='), top_k: 5 }))

  test('the most images allowed pass, with room to spare; far more images than allowed are past a count', () => {
    expect(jsonPastBound(images(4), bounds)).toBeUndefined()
    expect(jsonPastBound(images(bounds.maxStrings), bounds)).toMatch(/^max(Strings|Entries)$/)
  })

  test('nesting at the depth limit is within every count, so deeper nesting is reported as depth', () => {
    for (const open of ['[', '{"a":'])
      expect([open, jsonPastBound(utf8.encode(open.repeat(MAX_JSON_DEPTH + 1)), bounds)]).toEqual([open, 'maxDepth'])
  })
})
