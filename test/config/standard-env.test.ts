import { describe, expect, test } from 'bun:test'
import { loadConfig } from '../../src/config/load'

describe('conventional variables are honoured when the BUN_INFER_ one is unset', () => {
  test('PORT is a fallback for the port; BUN_INFER_PORT and --port win', () => {
    expect(loadConfig({ PORT: '3000' }).port).toBe(3000)
    expect(loadConfig({ PORT: '3000', BUN_INFER_PORT: '4000' }).port).toBe(4000)
    expect(loadConfig({ PORT: '3000' }, ['--port', '5000']).port).toBe(5000)
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow('BUN_INFER_PORT')
  })

  test('OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: /v1/traces is appended', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).otlpEndpoint).toBe('http://collector:4318/v1/traces')
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).otlpEndpoint).toBe('http://collector:4318/v1/traces')
  })

  test('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as it is, before the base URL; the BUN_INFER_ one wins', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/custom' }
    expect(loadConfig(env).otlpEndpoint).toBe('http://traces:4318/custom')
    expect(loadConfig({ ...env, BUN_INFER_OTLP_ENDPOINT: 'http://ours:4318/v1/traces' }).otlpEndpoint).toBe('http://ours:4318/v1/traces')
    expect(loadConfig({}).otlpEndpoint).toBe('')
  })

  test('service name, headers and sampler come from OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER(_ARG)', () => {
    const config = loadConfig({
      OTEL_SERVICE_NAME: 'classifier',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-token=abc',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25'
    })
    expect(config).toMatchObject({
      serviceName: 'classifier',
      otlpHeaders: 'x-token=abc',
      tracesSampler: 'parentbased_traceidratio',
      tracesSamplerArg: 0.25
    })
    expect(loadConfig({})).toMatchObject({ serviceName: 'bun-infer', tracesSampler: 'parentbased_always_on', tracesSamplerArg: 1 })
    expect(() => loadConfig({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow('BUN_INFER_TRACES_SAMPLER')
  })
})
