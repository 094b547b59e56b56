import { describe, expect, test } from 'bun:test'
import { placeModels } from '../../src/inference/placement'

const place = (workers: number, models: Array<{ key: string; instances?: number }>, start: string[][] = []) => {
  const placement = Array.from({ length: workers }, (_, i) => new Set(start[i] ?? []))
  placeModels(placement, models)
  return placement.map((keys) => [...keys].sort())
}

describe('placeModels (which workers hold a session of each model)', () => {
  test('without instances every worker holds every model', () => {
    expect(place(2, [{ key: 'a:1' }, { key: 'b:1' }])).toEqual([
      ['a:1', 'b:1'],
      ['a:1', 'b:1']
    ])
  })

  test('one-instance models spread over the workers holding fewest models', () => {
    expect(place(3, [{ key: 'big:1' }, { key: 'x:1', instances: 1 }, { key: 'y:1', instances: 1 }, { key: 'z:1', instances: 2 }])).toEqual([
      ['big:1', 'x:1', 'z:1'],
      ['big:1', 'y:1'],
      ['big:1', 'z:1']
    ])
  })

  test('more instances than workers means every worker', () => {
    expect(place(2, [{ key: 'a:1', instances: 5 }])).toEqual([['a:1'], ['a:1']])
  })

  test('a model added later goes to the least loaded worker', () => {
    expect(place(2, [{ key: 'n:1', instances: 1 }], [['a:1', 'b:1'], ['a:1']])).toEqual([
      ['a:1', 'b:1'],
      ['a:1', 'n:1']
    ])
  })
})
