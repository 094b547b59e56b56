import { describe, expect, test } from 'bun:test'
import { describeUnknown, editDistance, KNOWN_VARIABLES, unknownSettings } from '../../src/config/unknown-settings'

describe('unknown BUN_INFER_ variables', () => {
  test('a typo is named with the nearest setting; known, renamed and other variables are not', () => {
    const env = {
      BUN_INFER_WORKER: '4',
      BUN_INFER_WORKERS: '2',
      BUN_INFER_CACHE_MAX_ENTRIES: '10', // the old name of a renamed setting: still read
      BUN_INFER_GPU_MEMORY_FRACTION: '0.5',
      PATH: '/usr/bin',
      bun_infer_workers: '1' // not the prefix: the server never reads it either, but it is not ours to judge
    }
    expect(unknownSettings(env)).toEqual([
      { variable: 'BUN_INFER_GPU_MEMORY_FRACTION', nearest: undefined },
      { variable: 'BUN_INFER_WORKER', nearest: 'BUN_INFER_WORKERS' }
    ])
    expect(unknownSettings(env).map(describeUnknown)).toEqual([
      'BUN_INFER_GPU_MEMORY_FRACTION',
      'BUN_INFER_WORKER (did you mean BUN_INFER_WORKERS?)'
    ])
  })

  test('more typos, each to its setting', () => {
    const nearest = (name: string) => unknownSettings({ [name]: '1' })[0]!.nearest
    expect(nearest('BUN_INFER_MAX_QUEUE_IMAGE')).toBe('BUN_INFER_MAX_QUEUE_IMAGES')
    expect(nearest('BUN_INFER_REDISURL')).toBe('BUN_INFER_REDIS_URL')
    expect(nearest('BUN_INFER_PREDICTON_LOG')).toBe('BUN_INFER_PREDICTION_LOG')
    expect(nearest('BUN_INFER_PROCESS')).toBe('BUN_INFER_PROCESSES')
  })

  test('every setting of the schema is known', () => {
    expect(KNOWN_VARIABLES.has('BUN_INFER_PREDICTION_LOG')).toBe(true)
    expect(KNOWN_VARIABLES.has('BUN_INFER_HOST')).toBe(true)
    expect(unknownSettings({ BUN_INFER_PROCESSES: 'auto' })).toEqual([])
  })

  test('edit distance', () => {
    expect([
      editDistance('WORKER', 'WORKERS'),
      editDistance('abc', 'abc'),
      editDistance('', 'ab'),
      editDistance('kitten', 'sitting')
    ]).toEqual([1, 0, 2, 3])
  })
})
