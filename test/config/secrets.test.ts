import { describe, expect, test } from 'bun:test'
import { loadConfig } from '../../src/config/load'
import { SECRET_FIELDS, shownValue, withoutSecrets } from '../../src/config/secrets'

const API_KEY = 'api-key-0123456789abcdef'
const ADMIN_KEY = 'admin-key-0123456789abcdef'
const REDIS_PASSWORD = 'hunter2-redis-password'
const OTLP_TOKEN = 'otlp-token-0123456789'

/** The message loadConfig throws for this environment (the test fails if it throws nothing). */
function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error(`no error for ${Object.keys(env).join(', ')}`)
}

describe('secret settings', () => {
  test('are the keys, the URLs that may hold a password or a token, and the collector headers', () => {
    expect([...SECRET_FIELDS].sort()).toEqual([
      'adminKeys',
      'apiKeys',
      'jobsRedisUrl',
      'otlpHeaders',
      'predictionEventsUrl',
      'predictionLog',
      'redisUrl'
    ])
  })

  const invalid: Array<[string, Record<string, string>, string]> = [
    ['one API key too short beside a good one', { BUN_INFER_API_KEYS: `${API_KEY},short-secret` }, 'BUN_INFER_API_KEYS'],
    ['an admin key too short', { BUN_INFER_ADMIN_KEYS: `${ADMIN_KEY},tiny-admin` }, 'BUN_INFER_ADMIN_KEYS'],
    [
      'another setting wrong while every secret is set',
      {
        BUN_INFER_API_KEYS: API_KEY,
        BUN_INFER_ADMIN_KEYS: ADMIN_KEY,
        REDIS_URL: `redis://:${REDIS_PASSWORD}@cache:6379`,
        BUN_INFER_OTLP_HEADERS: `authorization=Bearer ${OTLP_TOKEN}`,
        BUN_INFER_PORT: '80x'
      },
      'BUN_INFER_PORT'
    ],
    // A key pasted into the wrong variable is quoted by that variable's check: the last guard takes it out.
    ['a key pasted into a plain setting', { BUN_INFER_API_KEYS: API_KEY, BUN_INFER_TRUSTED_PROXIES: API_KEY }, 'BUN_INFER_TRUSTED_PROXIES']
  ]
  for (const [name, env, variable] of invalid)
    test(`a config error names the variable and shows no secret: ${name}`, () => {
      const message = errorOf(env)
      expect(message).toContain(variable)
      for (const secret of [API_KEY, ADMIN_KEY, 'short-secret', 'tiny-admin', REDIS_PASSWORD, OTLP_TOKEN])
        expect(message).not.toContain(secret)
    })

  test('a list error says which entry, without its text', () => {
    expect(errorOf({ BUN_INFER_API_KEYS: `${API_KEY},short-secret` })).toBe(
      'invalid config BUN_INFER_API_KEYS=[2 values, <redacted>] (entry 2): Expected string length greater or equal to 16'
    )
  })

  test('a Redis URL keeps its host, not its credentials or query', () => {
    expect(shownValue('redisUrl', `redis://:${REDIS_PASSWORD}@cache:6379`)).toBe('"redis://***@cache:6379"')
    expect(shownValue('redisUrl', `rediss://user:${REDIS_PASSWORD}@cache:6380/2?password=x`)).toBe('"rediss://***@cache:6380/2?***"')
    expect(shownValue('redisUrl', 'redis://cache:6379')).toBe('"redis://cache:6379"')
    expect(shownValue('redisUrl', `not a url ${REDIS_PASSWORD}`)).toBe('"<redacted>"')
    expect(shownValue('otlpHeaders', `authorization=Bearer ${OTLP_TOKEN}`)).toBe('"<redacted>"')
  })

  test('other settings are shown as they are', () => {
    expect(shownValue('port', '80x')).toBe('"80x"')
    expect(shownValue('trustedProxies', ['10.0.0.1'])).toBe('["10.0.0.1"]')
  })

  test('withoutSecrets takes out keys, URL passwords and header values wherever they appear', () => {
    const config = { apiKeys: [API_KEY], redisUrl: `redis://:${REDIS_PASSWORD}@cache:6379`, otlpHeaders: `x-token=${OTLP_TOKEN}` }
    const message = withoutSecrets(`saw ${API_KEY}, then ${REDIS_PASSWORD} and ${OTLP_TOKEN}`, config)
    expect(message).toBe('saw <redacted>, then <redacted> and <redacted>')
  })
})
