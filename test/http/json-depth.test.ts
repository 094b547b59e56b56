import { describe, expect, test } from 'bun:test'
import { jsonNestsDeeperThan } from '../../src/http/json-depth'

const deeper = (text: string, max = 3) => jsonNestsDeeperThan(new TextEncoder().encode(text), max)

describe('jsonNestsDeeperThan', () => {
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
  for (const [what, text, expected] of cases) test(what, () => expect(deeper(text)).toBe(expected))
})
