/**
 * Conventional variables that other tools set, honoured when the `BUN_INFER_` one is not: `PORT`
 * (platforms such as Cloud Run and Heroku), `REDIS_URL`, and OpenTelemetry's standard `OTEL_*` set,
 * so one collector configuration serves every service in a cluster.
 */
type Env = Record<string, string | undefined>

/** OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL: the traces path is appended, as the spec says. */
function tracesUrlFromBase(base: string | undefined): string | undefined {
  if (!base) return undefined
  return (base.endsWith('/') ? base : base + '/') + 'v1/traces'
}

export const STANDARD_FALLBACKS: Readonly<Record<string, (env: Env) => string | undefined>> = {
  port: (env) => env.PORT,
  redisUrl: (env) => env.REDIS_URL,
  otlpEndpoint: (env) => env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || tracesUrlFromBase(env.OTEL_EXPORTER_OTLP_ENDPOINT),
  otlpHeaders: (env) => env.OTEL_EXPORTER_OTLP_TRACES_HEADERS || env.OTEL_EXPORTER_OTLP_HEADERS,
  serviceName: (env) => env.OTEL_SERVICE_NAME,
  tracesSampler: (env) => env.OTEL_TRACES_SAMPLER,
  tracesSamplerArg: (env) => env.OTEL_TRACES_SAMPLER_ARG
}
