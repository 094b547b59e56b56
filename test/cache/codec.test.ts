import { describe, expect, test } from 'bun:test'
import { decodePrediction, encodePrediction } from '../../src/cache/codec'

describe('prediction codec', () => {
  test('round-trips and drops fields it does not know', () => {
    const value = { predictions: [{ label: 'tabby', class_index: 281, score: 0.75, extra: 1 }], model_version: '3', x: 2 }
    expect(decodePrediction(encodePrediction(value))).toEqual({
      predictions: [{ label: 'tabby', class_index: 281, score: 0.75 }],
      model_version: '3'
    })
  })

  test.each([
    ['not json', '{'],
    ['null', 'null'],
    ['a string', '"x"'],
    ['no version', '{"predictions":[]}'],
    ['predictions not an array', '{"predictions":{},"model_version":"1"}'],
    ['a fractional class index', '{"predictions":[{"label":"a","class_index":1.5,"score":1}],"model_version":"1"}'],
    ['a string score', '{"predictions":[{"label":"a","class_index":1,"score":"1"}],"model_version":"1"}']
  ])('reads %s as not cached', (_name, text) => {
    expect(decodePrediction(text)).toBeUndefined()
  })
})
