import type { SpanProcessor } from '@opentelemetry/sdk-trace'
import { createApp } from '../../src/app'
import { loadConfig } from '../../src/config/load'
import type { Config } from '../../src/config/schema'
import { loadApiKeys } from '../../src/http/plugins/auth'
import type { WorkerFault } from '../../src/inference/protocol'
import { Lifecycle } from '../../src/lifecycle'
import { createLogger } from '../../src/log'
import { discoverModels } from '../../src/models/catalog'
import { placeModels } from '../../src/inference/placement'
import { buildPipeline } from '../../src/pipeline'
import type { PredictionLog } from '../../src/prediction-log/log'
import type { CloudEventsSink } from '../../src/prediction-log/cloudevents-sink'
import { createTracing } from '../../src/tracing/tracing'
import { AnsweringRunner } from './answering-runner'
import { FakeClock } from './fake-clock'
import { MODELS_DIR } from '../../tools/model-repo'
import { embeddedEngine, jobService } from '../../src/jobs/open'
import type { JobEngine } from '../../src/jobs/engine'
import type { ContainerState } from '../../src/processes/protocol'

export interface TestAppOptions {
  /** BUN_INFER_* variables, read the way the server reads its environment. */
  env?: Record<string, string>
  /** Config overrides (defaults: the server's, result cache off, log level error). */
  config?: Partial<Config>
  /** Lifecycle state to start in (default ready). */
  state?: Lifecycle['state']
  workers?: number
  /** Spans go here when given (tracing on). */
  spanProcessor?: SpanProcessor
  /** Log lines, when the test reads them. */
  logs?: string[]
  /** Answered images are recorded here (and the monitoring route reads it) when given. */
  predictionLog?: PredictionLog
  /** Answered images are also sent here as CloudEvents when given. */
  events?: CloudEventsSink
  /**
   * The bulk job API, its spool in `dataDir`, on `engine` (default: the embedded one, in `dataDir`); call
   * `jobs.start()`, and `jobs.stop()` after.
   */
  jobs?: { dataDir: string; engine?: (config: Config) => JobEngine }
  /** The container's state when the app is one of several server processes (BUN_INFER_PROCESSES). */
  containerState?: () => ContainerState
}

/**
 * The real app (every plugin and route, the real predictor, batcher, preprocessing and result cache) over an
 * answering runner and a fake clock: no onnxruntime, no sockets. `request(path, init)` goes through
 * `app.handle`, the way Elysia's own tests do.
 */
export function testApp(options: TestAppOptions = {}) {
  const config = loadConfig(
    {
      BUN_INFER_MODELS_DIR: MODELS_DIR,
      BUN_INFER_MAX_CACHE_ENTRIES: '0',
      BUN_INFER_LOG_LEVEL: options.logs ? 'debug' : 'error',
      ...options.env
    },
    [],
    options.config
  )
  const catalog = discoverModels(config.modelsDir, config)
  const classes = new Map(catalog.specs().map((s) => [s.key, s.manifest.output.classes]))
  const runner = new AnsweringRunner(options.workers ?? config.workers, (key) => classes.get(key)!)
  const clock = new FakeClock()
  const lifecycle = new Lifecycle()
  lifecycle.state = options.state ?? 'ready'
  const faults: WorkerFault[] = []
  // Where the worker pool would place each model's sessions (the real placement); 1 MB per session stands in for RSS.
  const placement = Array.from({ length: options.workers ?? config.workers }, () => new Set<string>())
  placeModels(placement, catalog.specs())
  const sessionsOf = (key: string) => {
    const instances = placement.filter((keys) => keys.has(key)).length
    return instances === 0 ? undefined : { instances, memoryBytes: instances * 1_000_000 }
  }
  const log = createLogger(config.logLevel, options.logs ? (line) => options.logs!.push(line) : () => {})
  const pipeline = buildPipeline(config, catalog, runner, {
    clock,
    inFlight: () => lifecycle.active,
    sessionsOf,
    predictionLog: options.predictionLog,
    events: options.events
  })
  const health = { workers: true }
  const jobsConfig = options.jobs && { ...config, dataDir: options.jobs.dataDir }
  const jobs =
    jobsConfig &&
    jobService(jobsConfig, (options.jobs!.engine ?? embeddedEngine)(jobsConfig), {
      predictor: pipeline.predictor,
      catalog,
      metrics: pipeline.metrics,
      log
    })
  const tracing = options.spanProcessor ? createTracing(options.spanProcessor, '0.0.0-test') : undefined
  const app = createApp({
    config,
    predictor: pipeline.predictor,
    catalog,
    lifecycle,
    metrics: pipeline.metrics,
    log,
    workersHealthy: () => health.workers,
    sessionsOf,
    version: '0.0.0-test',
    apiKeys: loadApiKeys(config.apiKeys, config.apiKeysFile),
    tracing,
    armFault: config.enableFaultInjection ? (fault) => faults.push(fault) : undefined,
    predictionStore: options.predictionLog?.store,
    jobs,
    containerState: options.containerState
  })
  const request = (path: string, init?: RequestInit) => app.handle(new Request(`http://localhost${path}`, init))
  /** Resolves after Elysia's after-response hooks (metrics, logs, span end), which run on setImmediate. */
  const afterResponses = () => new Promise<void>((resolve) => setImmediate(resolve))
  /** A real socket on 127.0.0.1, port 0, for the tests where one matters (raw wire bytes, slow bodies). */
  const listen = () => {
    app.listen({ hostname: '127.0.0.1', port: 0, maxRequestBodySize: config.maxBodyBytes * 2 + 1024 * 1024 })
    return { url: `http://127.0.0.1:${app.server!.port}`, port: app.server!.port!, stop: () => app.stop(true) }
  }
  return { app, request, afterResponses, listen, tracing, config, runner, clock, lifecycle, pipeline, health, faults, jobs }
}

export type TestApp = ReturnType<typeof testApp>
