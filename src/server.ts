import type { Server } from 'bun'
import { createApp } from './app'
import { Batcher } from './batching/batcher'
import { systemClock } from './batching/clock'
import type { Config } from './config/schema'
import { WorkerPool } from './inference/pool'
import { Lifecycle } from './lifecycle'
import type { Logger } from './log'
import { createMetrics } from './metrics/registry'
import { discoverModels } from './models/registry'
import { Predictor } from './predictor'
import pkg from '../package.json'

export interface RunningServer {
  port: number
  /** Drains (readiness 503, no new requests, queued and in-flight ones finish), then stops. */
  stop(): Promise<{ drained: boolean }>
}

/** Builds every dependency from config, loads the models on the workers, and listens. */
export async function startServer(config: Readonly<Config>, log: Logger): Promise<RunningServer> {
  const models = discoverModels(config.modelsDir, config)
  if (!models.has(config.defaultModel))
    throw new Error(`BUN_INFER_DEFAULT_MODEL: no model "${config.defaultModel}" in ${config.modelsDir} (found: ${[...models.keys()].join(', ')})`)
  // The gauge reads the batcher at scrape time; the batcher is built just below.
  const metrics = createMetrics({
    models: [...models.keys()],
    queueDepth: (model) => batcher.depth(model),
    inFlight: () => lifecycle.active
  })
  const lifecycle = new Lifecycle()
  const pool = new WorkerPool({
    size: config.workers,
    intraOpThreads: config.intraOpThreads,
    models: [...models.values()].map((m) => ({
      name: m.name,
      modelPath: m.modelPath,
      inputName: m.manifest.input.name,
      outputName: m.manifest.output.name,
      imageDims: [m.manifest.input.channels, m.manifest.input.height, m.manifest.input.width],
      classes: m.manifest.output.classes
    })),
    onWorkerLost: (reason) => {
      metrics.workerRestarts.inc()
      log.warn('worker lost; replacing it', { reason })
    }
  })
  const batcher = new Batcher(pool, {
    maxQueueImages: config.maxQueueImages,
    clock: systemClock,
    onBatch: (model, size) => metrics.batchSize.observe({ model }, size),
    onSkipped: (model) => metrics.skipped.inc({ model })
  })
  for (const model of models.values()) {
    batcher.addModel(model.name, {
      maxBatchSize: model.maxBatchSize,
      maxBatchDelayMs: model.maxBatchDelayMs,
      inputElements: model.inputElements,
      outputElements: model.manifest.output.classes
    })
    metrics.modelInfo.set({ model: model.name, version: String(model.version) }, 1)
  }
  const predictor = new Predictor(models, batcher, config, metrics)
  const app = createApp({ config, predictor, lifecycle, metrics, log, workersHealthy: () => pool.healthy, version: pkg.version })

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
    models: [...models.values()].map((m) => `${m.name}:${m.version}`),
    workers: config.workers,
    intra_op_threads: config.intraOpThreads,
    load_ms: Math.round(performance.now() - loadStarted)
  })

  return {
    port: server.port!,
    async stop() {
      lifecycle.state = 'draining'
      // New requests are refused at the route (503 draining); those already admitted run to the end.
      const drained = await lifecycle.waitIdle(config.drainTimeoutMs)
      await server.stop(!drained)
      await pool.close()
      return { drained }
    }
  }
}
