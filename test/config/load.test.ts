import { describe, expect, test } from 'bun:test'
import { deprecationWarnings, envName, loadConfig } from '../../src/config/load'

describe('loadConfig', () => {
  test('defaults when nothing is set, frozen', () => {
    const config = loadConfig({}, [])
    expect(config.port).toBe(8080)
    expect(config.workers).toBe(2)
    expect(config.corsOrigins).toEqual([])
    expect(Object.isFrozen(config)).toBe(true)
  })

  test('env strings are converted and checked', () => {
    const config = loadConfig(
      { BUN_INFER_PORT: '0', BUN_INFER_CORS_ORIGINS: 'https://a.example, https://b.example', BUN_INFER_ENABLE_FAULT_INJECTION: 'true' },
      []
    )
    expect(config.port).toBe(0)
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example'])
    expect(config.enableFaultInjection).toBe(true)
    expect(loadConfig({ BUN_INFER_MODEL_INSTANCES: 'shufflenetv2=2, mobilenetv2=0' }, []).modelInstances).toEqual([
      'shufflenetv2=2',
      'mobilenetv2=0'
    ])
  })

  test('flags override env', () => {
    expect(loadConfig({ BUN_INFER_PORT: '1' }, ['--port', '2', '--models-dir=/m']).port).toBe(2)
    expect(loadConfig({}, ['--models-dir=/m']).modelsDir).toBe('/m')
  })

  const bad: Array<[Record<string, string>, string[], string]> = [
    [{ BUN_INFER_PORT: '80x' }, [], 'BUN_INFER_PORT'],
    [{ BUN_INFER_WORKERS: '0' }, [], 'BUN_INFER_WORKERS'],
    [{ BUN_INFER_LOG_LEVEL: 'loud' }, [], 'BUN_INFER_LOG_LEVEL'],
    [{ BUN_INFER_MODEL_INSTANCES: 'shufflenetv2:2' }, [], 'BUN_INFER_MODEL_INSTANCES'],
    [{}, ['--colour', 'red'], 'unknown flag --colour'],
    [{}, ['--port'], 'flag --port needs a value']
  ]
  for (const [env, argv, message] of bad)
    test(`refuses ${JSON.stringify(env)} ${argv.join(' ')}`, () => expect(() => loadConfig(env, argv)).toThrow(message))

  test('env names are the field in SCREAMING_SNAKE_CASE with the prefix', () => {
    expect(envName('maxBatchDelayMs')).toBe('BUN_INFER_MAX_BATCH_DELAY_MS')
  })
})

describe('renamed settings', () => {
  test('an old name still works for one release, with a warning; the new name wins when both are set', () => {
    expect(loadConfig({ BUN_INFER_CACHE_MAX_ENTRIES: '7' }).maxCacheEntries).toBe(7)
    expect(loadConfig({ BUN_INFER_BATCH_TIMEOUT_MS: '500', BUN_INFER_BATCH_WATCHDOG_MS: '900' }).batchWatchdogMs).toBe(900)
    expect(deprecationWarnings({ BUN_INFER_CACHE_MAX_BYTES: '4096' })).toEqual([
      'BUN_INFER_CACHE_MAX_BYTES is deprecated and will be removed in the next release; use BUN_INFER_MAX_CACHE_BYTES'
    ])
    expect(deprecationWarnings({ BUN_INFER_MAX_CACHE_BYTES: '4096' })).toEqual([])
  })
})
