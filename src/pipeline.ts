import { Batcher } from './batching/batcher'
import type { Clock } from './batching/clock'
import { ResultCache, sharedKeyPrefix } from './cache'
import type { Config } from './config/schema'
import type { BatchRunner, ModelSessions } from './inference/pool'
import { createMetrics, type Metrics } from './metrics/registry'
import type { ModelCatalog } from './models/catalog'
import { Predictor } from './predictor'
import { addModelQueues, labelsOfQueue } from './models/queues'
import type { PredictionLog } from './prediction-log/log'
import { type CloudEventsSink, FanoutSink } from './prediction-log/cloudevents-sink'
import type { DriftSource } from './metrics/predictions'

/** The predict use case and what it reports to: everything between the HTTP layer and the batch runner. */
export interface Pipeline {
  catalog: ModelCatalog
  metrics: Metrics
  cache?: ResultCache
  batcher: Batcher
  predictor: Predictor
}

export interface PipelineOptions {
  clock: Clock
  /** Predict requests in flight, for the gauge (the lifecycle counts them). */
  inFlight?: () => number
  /** Workers and load-time memory of each model version's sessions (the worker pool), for the gauges. */
  sessionsOf?: (key: string) => ModelSessions | undefined
  /** Where answered images are recorded (the server's; the CLI and most tests have none). */
  predictionLog?: PredictionLog
  /** Each model version's drift, for the gauges (with the prediction log). */
  drift?: DriftSource
  /** A CloudEvents receiver that also gets every answered image. */
  events?: CloudEventsSink
}

/**
 * Builds metrics, result cache, batcher and predictor over `runner` (the worker pool in the server, a
 * recording runner in tests, the pool again in the CLI), so every caller gets the same wiring.
 */
export function buildPipeline(config: Readonly<Config>, catalog: ModelCatalog, runner: BatchRunner, options: PipelineOptions): Pipeline {
  const specs = catalog.specs()
  // The gauges read the batcher and cache at scrape time; both are built just below.
  const metrics = createMetrics({
    versions: () => catalog.specs().map((s) => ({ ...labelsOfQueue(s.key), key: s.key })),
    queueDepth: (key) => batcher.depth(key),
    backlog: (key) => batcher.backlog(key),
    running: (key) => batcher.running(key),
    awaitingDecode: (key) => batcher.awaitingDecode(key),
    instances: (key) => options.sessionsOf?.(key)?.instances ?? 0,
    memoryBytes: (key) => options.sessionsOf?.(key)?.memoryBytes ?? 0,
    inFlight: options.inFlight,
    cacheSize: () => cache?.localSize ?? { entries: 0, bytes: 0 },
    predictionLog: options.predictionLog && (() => options.predictionLog?.counts),
    drift: options.drift,
    monitoredLabels: config.monitoredLabels,
    events: options.events && (() => options.events!.counts)
  })
  const cache =
    config.maxCacheEntries > 0
      ? new ResultCache({
          maxEntries: config.maxCacheEntries,
          maxBytes: config.maxCacheBytes,
          ttlMs: config.cacheTtlMs,
          redis: config.redisUrl
            ? { url: config.redisUrl, getTimeoutMs: config.redisTimeoutMs, keyPrefix: sharedKeyPrefix(config.cacheNamespace) }
            : undefined,
          onEvent: (event) => metrics.cacheEvents.inc({ event })
        })
      : undefined
  const batcher = new Batcher(runner, {
    maxQueueImages: config.maxQueueImages,
    // A batch ready for each worker and the next being decoded: workers never wait for a decode, and the rest of
    // a backlog waits encoded instead of as crops (a small photo's file is smaller than its crop): a lower peak RSS.
    decodeAheadBatches: 2 * config.workers,
    backgroundBatchSize: config.jobBatchSize,
    clock: options.clock,
    // From the key, not a table: /v2 tensor queues and models loaded at run time count under their model version.
    onBatch: (key, size) => metrics.batchSize.observe(labelsOfQueue(key), size),
    onSkipped: (key) => metrics.skipped.inc(labelsOfQueue(key))
  })
  addModelQueues(batcher, specs)
  const sinks = [options.predictionLog, options.events].filter((sink) => sink !== undefined)
  const sink = sinks.length > 1 ? new FanoutSink(sinks) : sinks[0]
  const predictor = new Predictor(catalog, batcher, config, metrics, cache, sink)
  return { catalog, metrics, cache, batcher, predictor }
}
