import type { Server } from 'bun'
import { createApp } from './app'
import { ResultCache } from './cache'
import { loadApiKeys } from './http/plugins/auth'
import { createTracing, otlpProcessor } from './tracing/tracing'
import type { SpanProcessor } from '@opentelemetry/sdk-trace'
import { Batcher } from './batching/batcher'
import { systemClock } from './batching/clock'
import type { Config } from './config/schema'
import { toWorkerModel, WorkerPool } from './inference/pool'
import { Lifecycle } from './lifecycle'
import type { Logger } from './log'
import { createMetrics } from './metrics/registry'
import { discoverModels } from './models/registry'
import { Predictor } from './predictor'
import { describeBudget, resolveBodyBudget } from './http/byte-budget'
import pkg from '../package.json'

export interface RunningServer {
  port: number
  /** Drains (readiness 503, no new requests, queued and in-flight ones finish), then stops. */
  stop(): Promise<{ drained: boolean }>
}

export interface ServerOptions {
  /** Where spans go; default: OTLP/HTTP when BUN_INFER_OTLP_ENDPOINT is set, else no tracing at all. */
  spanProcessor?: SpanProcessor
}

/** Builds every dependency from config, loads the models on the workers, and listens. */
export async function startServer(config: Readonly<Config>, log: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const bodyBudget = resolveBodyBudget(config) // a bad budget stops startup before the models load
  const catalog = discoverModels(config.modelsDir, config)
  if (!catalog.has(config.defaultModel))
    throw new Error(`BUN_INFER_DEFAULT_MODEL: no model "${config.defaultModel}" in ${config.modelsDir} (found: ${catalog.names().join(', ')})`)
  const specs = catalog.specs()
  const labelsOf = new Map(specs.map((s) => [s.key, { model: s.name, version: String(s.version) }]))
  // The gauges read the batcher and lifecycle at scrape time; both are built just below.
  const metrics = createMetrics({
    versions: specs.map((s) => ({ ...labelsOf.get(s.key)!, key: s.key })),
    queueDepth: (key) => batcher.depth(key),
    running: (key) => batcher.running(key),
    inFlight: () => lifecycle.active,
    cacheSize: () => cache?.localSize ?? { entries: 0, bytes: 0 }
  })
  const cache =
    config.cacheMaxEntries > 0
      ? new ResultCache({
          maxEntries: config.cacheMaxEntries,
          maxBytes: config.cacheMaxBytes,
          ttlMs: config.cacheTtlMs,
          redis: config.redisUrl ? { url: config.redisUrl, getTimeoutMs: config.redisTimeoutMs } : undefined,
          onEvent: (event) => metrics.cacheEvents.inc({ event })
        })
      : undefined
  const lifecycle = new Lifecycle()
  const pool = new WorkerPool({
    size: config.workers,
    intraOpThreads: config.intraOpThreads,
    batchTimeoutMs: config.batchTimeoutMs,
    models: specs.map(toWorkerModel),
    onWorkerLost: (reason) => {
      metrics.workerRestarts.inc()
      log.warn('worker lost; replacing it', { reason })
    }
  })
  const batcher = new Batcher(pool, {
    maxQueueImages: config.maxQueueImages,
    clock: systemClock,
    onBatch: (key, size) => metrics.batchSize.observe(labelsOf.get(key)!, size),
    onSkipped: (key) => metrics.skipped.inc(labelsOf.get(key)!)
  })
  for (const spec of specs) {
    batcher.addModel(spec.key, {
      maxBatchSize: spec.maxBatchSize,
      maxBatchDelayMs: spec.maxBatchDelayMs,
      inputElements: spec.inputElements,
      outputElements: spec.manifest.output.classes
    })
    metrics.modelInfo.set(labelsOf.get(spec.key)!, 1)
  }
  const predictor = new Predictor(catalog, batcher, config, metrics, cache)
  const apiKeys = loadApiKeys(config.apiKeys, config.apiKeysFile)
  const spanProcessor = options.spanProcessor ?? (config.otlpEndpoint ? await otlpProcessor(config.otlpEndpoint) : undefined)
  const tracing = spanProcessor ? createTracing(spanProcessor, pkg.version) : undefined
  const app = createApp({
    config,
    predictor,
    lifecycle,
    metrics,
    log,
    workersHealthy: () => pool.healthy,
    version: pkg.version,
    apiKeys,
    tracing
  })

  // Listen first so liveness answers (and readiness says 503) while the models load.
  // Bun's own cap is a backstop at twice ours: below it, our body reader answers with the JSON 413.
  app.listen({ hostname: config.host, port: config.port, maxRequestBodySize: config.maxBodyBytes * 2 + 1024 * 1024 })
  const server = app.server as Server<unknown>
  log.info('listening', { port: server.port, state: 'loading models' })
  const loadStarted = performance.now()
  try {
    await pool.start()
  } catch (error) {
    await pool.close()
    await server.stop(true)
    throw error
  }
  lifecycle.state = 'ready'
  log.info('ready', {
    port: server.port,
    models: specs.map((s) => s.key),
    workers: config.workers,
    intra_op_threads: config.intraOpThreads,
    load_ms: Math.round(performance.now() - loadStarted),
    body_budget_bytes: bodyBudget.bytes,
    body_budget_from: describeBudget(bodyBudget)
  })

  return {
    port: server.port!,
    async stop() {
      lifecycle.state = 'draining'
      // New requests are refused at the route (503 draining); those already admitted run to the end.
      const drained = await lifecycle.waitIdle(config.drainTimeoutMs)
      await server.stop(!drained)
      await pool.close()
      // Pending shared-tier writes get a moment; a stalled Redis must not hold up the exit.
      await Promise.race([cache?.flush(), Bun.sleep(500)])
      await cache?.close()
      await tracing?.shutdown()
      return { drained }
    }
  }
}
