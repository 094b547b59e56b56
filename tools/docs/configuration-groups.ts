/**
 * The sections of docs/configuration.md and the names of the conventional variables: the page's data that the
 * config schema does not hold. tools/docs/configuration.ts checks both against the schema when it renders.
 */
import type { ConfigSchema } from '../../src/config/schema'

export type Field = keyof typeof ConfigSchema.properties

/** The page's sections: every setting belongs to exactly one (render throws otherwise). */
export const GROUPS: ReadonlyArray<{ title: string; about: string; fields: readonly Field[] }> = [
  {
    title: 'Server',
    about: 'Where the server listens, what it logs, and how long it drains on shutdown.',
    fields: ['host', 'port', 'tlsCertFile', 'tlsKeyFile', 'reusePort', 'processes', 'instanceId', 'logLevel', 'drainTimeoutMs']
  },
  {
    title: 'Models and workers',
    about:
      'Which models are served and the threads that run them. The folder layout: [models](models.md); the repository ' +
      'extension: [Open Inference Protocol](open-inference-protocol.md); workers and sessions: [architecture](architecture.md).',
    fields: [
      'modelsDir',
      'defaultModel',
      'repositoryApi',
      'repositoryPollMs',
      'workers',
      'executionProvider',
      'modelInstances',
      'intraOpThreads',
      'loneIntraOpThreads',
      'intraOpSpinning',
      'loneIntraOpSpinning'
    ]
  },
  {
    title: 'Batching and queueing',
    about:
      "These override the batching that each model's `model.json` sets. How batches form: [architecture](architecture.md); " +
      'choosing values: [performance](performance.md).',
    fields: [
      'maxBatchSize',
      'maxBatchDelayMs',
      'modelMaxBatchSize',
      'modelMaxBatchDelayMs',
      'maxQueueImages',
      'maxConcurrentDecodes',
      'batchWatchdogMs'
    ]
  },
  {
    title: 'Request limits',
    about:
      'Every request is bounded, and a request over a bound gets the [error](http-api.md#errors) its row names. Why each bound ' +
      'exists: [security](SECURITY.md); how the body budget follows memory: [architecture](architecture.md).',
    fields: [
      'requestTimeoutMs',
      'bodyTimeoutMs',
      'maxBodyBytes',
      'bodyBudgetBytes',
      'bodyBudgetPerClientBytes',
      'maxImagesPerRequest',
      'maxImageBytes',
      'maxImagePixels',
      'maxProgressivePixels',
      'maxJpegScans',
      'defaultTopK'
    ]
  },
  {
    title: 'Result cache',
    about:
      'Answers cached in process and, with Redis, shared by replicas. What a key holds and how a slow Redis is ' +
      'skipped: [operations](operations.md); Redis with its own user: [deployment](deployment.md).',
    fields: ['maxCacheEntries', 'maxCacheBytes', 'cacheTtlMs', 'redisUrl', 'redisTimeoutMs', 'cacheNamespace']
  },
  {
    title: 'Clients: keys, limits and CORS',
    about:
      'A client is a verified API key when keys are on, else an IP address. Keys, limits and CORS: ' +
      '[operations](operations.md); the client address behind a proxy: [deployment](deployment.md).',
    fields: [
      'apiKeys',
      'apiKeysFile',
      'adminKeys',
      'exemptPaths',
      'rateLimitPerSecond',
      'rateLimitBurst',
      'maxInFlightPerClient',
      'trustedProxies',
      'corsOrigins'
    ]
  },
  {
    title: 'Prediction log and monitoring',
    about:
      'Every answered image as a record in an embedded SQLite file, and the per-label summary read from it: ' +
      '[monitoring](monitoring.md).',
    fields: [
      'dataDir',
      'predictionLog',
      'predictionLogPoolSize',
      'predictionLogMaxAgeDays',
      'predictionLogMaxRecords',
      'predictionLogBufferRecords',
      'predictionLogFlushMs',
      'driftReferencePredictions',
      'driftWindowMinutes',
      'driftMinWindowPredictions',
      'driftIntervalMs',
      'monitoredLabels',
      'predictionEventsUrl',
      'lowConfidence'
    ]
  },
  {
    title: 'Bulk jobs',
    about:
      'Uploads of many images classified in the background, with the capacity requests leave: [jobs](jobs.md). ' +
      'Spool and job store live under BUN_INFER_DATA_DIR.',
    fields: [
      'jobs',
      'jobsRedisUrl',
      'jobsStalledMs',
      'jobMaxBytes',
      'jobMaxImages',
      'jobsPerClient',
      'jobRetentionHours',
      'jobBatchSize',
      'jobImagesInFlight'
    ]
  },
  {
    title: 'Tracing',
    about: 'OpenTelemetry traces over OTLP/HTTP, off until an endpoint is set: [operations](operations.md).',
    fields: ['otlpEndpoint', 'otlpHeaders', 'serviceName', 'tracesSampler', 'tracesSamplerArg']
  },
  {
    title: 'Testing',
    about: 'For the reliability tests ([reliability](RELIABILITY.md)); never on in production.',
    fields: ['enableFaultInjection']
  }
]

/** The conventional variables of STANDARD_FALLBACKS (src/config/standard-env.ts), as the page names them. */
export const CONVENTIONAL: Readonly<Record<string, string>> = {
  port: 'PORT',
  redisUrl: 'REDIS_URL',
  otlpEndpoint: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT with /v1/traces appended',
  otlpHeaders: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS, else OTEL_EXPORTER_OTLP_HEADERS',
  serviceName: 'OTEL_SERVICE_NAME',
  tracesSampler: 'OTEL_TRACES_SAMPLER',
  tracesSamplerArg: 'OTEL_TRACES_SAMPLER_ARG'
}
