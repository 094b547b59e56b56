import { describe, expect, test } from 'bun:test'
import { loadConfig, settingGiven } from '../../src/config/load'
import { shareOfHost } from '../../src/processes/share'

describe("one of N server processes takes its share of the host's cores", () => {
  const defaults = loadConfig({})
  test.each([
    // [processes, cores, what changes]
    [2, 2, { workers: 1, loneIntraOpThreads: 1, maxConcurrentDecodes: 1 }],
    [8, 16, { workers: 2, loneIntraOpThreads: 2, maxConcurrentDecodes: 2 }], // auto: the defaults of a 2-core process
    [2, 16, { workers: 2, loneIntraOpThreads: 8, maxConcurrentDecodes: 8 }],
    [4, 2, { workers: 1, loneIntraOpThreads: 1, maxConcurrentDecodes: 1 }] // more processes than cores: at least 1
  ])('%i processes on %i cores: %o', (processes, cores, expected) => {
    expect(shareOfHost(defaults, processes, false, cores)).toEqual(expected)
  })

  test('a setting given explicitly is kept', () => {
    const given = loadConfig({ BUN_INFER_WORKERS: '2', BUN_INFER_LONE_INTRA_OP_THREADS: '2', BUN_INFER_MAX_CONCURRENT_DECODES: '4' })
    expect(shareOfHost(given, 2, true, 2)).toEqual({})
  })

  test('settingGiven: the variable (not empty) or the flag, in either form', () => {
    expect(settingGiven('workers', { BUN_INFER_WORKERS: '3' }, [])).toBe(true)
    expect(settingGiven('workers', { BUN_INFER_WORKERS: '' }, [])).toBe(false)
    expect(settingGiven('workers', {}, ['--workers', '3'])).toBe(true)
    expect(settingGiven('workers', {}, ['--workers=3'])).toBe(true)
    expect(settingGiven('workers', {}, ['--port', '0'])).toBe(false)
  })
})
