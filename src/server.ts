import type { Server } from 'bun'
import { createApp } from './app'
import { loadApiKeys } from './http/plugins/auth'
import { createTracing, otlpProcessor, parseOtlpHeaders } from './tracing/tracing'
import { samplerFrom } from './tracing/sampler'
import type { SpanProcessor } from '@opentelemetry/sdk-trace'
import { systemClock } from './batching/clock'
import type { Config } from './config/schema'
import { createWorkerPool } from './inference/pool-from-config'
import { sessionThreads } from './inference/threads'
import { Lifecycle } from './lifecycle'
import { DriftMonitor } from './prediction-log/drift-monitor'
import { CloudEventsSink } from './prediction-log/cloudevents-sink'
import { hostname } from 'node:os'
import { driftSettings, openPredictionLog } from './prediction-log/open'
import { tlsOptions } from './http/tls'
import { checkExecutionProvider } from './inference/execution-provider'
import type { Logger } from './log'
import { loadCatalog } from './models/load-catalog'
import type { Predictor } from './predictor'
import { buildPipeline } from './pipeline'
import { ModelRepository } from './models/repository'
import { RepositoryPoller } from './models/repository-poller'
import { FaultInjectingRunner } from './faults/runner'
import { describeBudget, resolveBodyBudget } from './http/budget-size'
import { openJobs } from './jobs/open'
import type { SupervisorLink } from './processes/supervised'
import pkg from '../package.json'

/** How long a stopping server lets open connections finish once nothing admitted is left, before it closes them. */
const CLOSE_GRACE_MS = 1000

export interface RunningServer {
  port: number
  /** Drains (readiness 503, no new requests, queued and in-flight ones finish), then stops. */
  stop(): Promise<{ drained: boolean }>
}

export interface ServerOptions {
  /** Where spans go; default: OTLP/HTTP when BUN_INFER_OTLP_ENDPOINT is set, else no tracing at all. */
  spanProcessor?: SpanProcessor
  /**
   * Set when this is one of several server processes (BUN_INFER_PROCESSES): readiness and /metrics answer for the
   * whole container through it.
   */
  supervisor?: SupervisorLink
}

/** The server wired but not yet listening: its app and predictor, and what starts it. */
export interface AssembledServer {
  app: ReturnType<typeof createApp>
  predictor: Predictor
  /** Listens, loads the models on the workers, and turns ready. */
  start(): Promise<RunningServer>
}

/** Builds every dependency from config, loads the models on the workers, and listens. */
export async function startServer(config: Readonly<Config>, log: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  return (await assembleServer(config, log, options)).start()
}

/**
 * Builds every dependency from config; nothing listens and no worker starts until `start()`. Besides
 * startServer, a benchmark that must serve the app exactly as the server wires it uses this
 * (bench/micro/http-layer.ts).
 */
export async function assembleServer(config: Readonly<Config>, log: Logger, options: ServerOptions = {}): Promise<AssembledServer> {
  const { supervisor } = options
  // A bad budget stops startup before the models load.
  const bodyBudget = resolveBodyBudget(config)
  const tls = tlsOptions(config) // so do a certificate or key that cannot be read
  await checkExecutionProvider(config.executionProvider) // and a provider this install does not have
  const catalog = loadCatalog(config)
  const lifecycle = new Lifecycle()
  const predictionLog = await openPredictionLog(config, log) // a store that cannot be opened stops startup here
  const events = config.predictionEventsUrl
    ? new CloudEventsSink({
        url: config.predictionEventsUrl,
        source: `/bun-infer/${config.instanceId || hostname()}`,
        namespace: config.cacheNamespace,
        onError: (error) =>
          log.warn('prediction events could not be sent; they are dropped until the receiver answers', { error: String(error) })
      })
    : undefined
  const driftMonitor =
    predictionLog &&
    new DriftMonitor(
      predictionLog.store,
      () => catalog.specs().map((s) => ({ model: s.name, version: String(s.version) })),
      driftSettings(config),
      (error) => log.warn('drift could not be computed', { error: String(error) })
    )
  const pool = createWorkerPool(config, catalog, (reason) => {
    metrics.workerRestarts.inc()
    log.warn('worker lost; replacing it', { reason })
  })
  // Fault injection (tests only) wraps the pool; without it requests go straight to the pool.
  const faults = config.enableFaultInjection ? new FaultInjectingRunner(pool) : undefined
  const { metrics, cache, predictor, batcher } = buildPipeline(config, catalog, faults ?? pool, {
    clock: systemClock,
    inFlight: () => lifecycle.active,
    sessionsOf: (key) => pool.sessionsOf(key),
    predictionLog,
    drift: driftMonitor && (() => driftMonitor.current()),
    events
  })
  supervisor?.attach(metrics.registry)
  const jobs = await openJobs(config, { predictor, catalog, metrics, log }, supervisor && { index: supervisor.index }) // a job store that cannot be opened stops startup
  const apiKeys = loadApiKeys(config.apiKeys, config.apiKeysFile)
  const spanProcessor =
    options.spanProcessor ??
    (config.otlpEndpoint ? await otlpProcessor(config.otlpEndpoint, parseOtlpHeaders(config.otlpHeaders)) : undefined)
  const tracing = spanProcessor
    ? createTracing(spanProcessor, pkg.version, {
        serviceName: config.serviceName,
        sampler: samplerFrom(config.tracesSampler, config.tracesSamplerArg)
      })
    : undefined
  // One repository for the HTTP extension and the directory poller, so their operations run one at a time.
  const repository =
    config.repositoryApi || config.repositoryPollMs > 0
      ? new ModelRepository(catalog, batcher, pool, {
          modelsDir: config.modelsDir,
          overrides: config,
          defaultModel: config.defaultModel,
          drainTimeoutMs: config.drainTimeoutMs
        })
      : undefined
  const app = createApp({
    config,
    predictor,
    catalog,
    lifecycle,
    metrics,
    log,
    workersHealthy: () => pool.healthy,
    sessionsOf: (key) => pool.sessionsOf(key),
    version: pkg.version,
    apiKeys,
    tracing,
    armFault: faults && ((fault) => faults.arm(fault)),
    repository: config.repositoryApi ? repository : undefined,
    predictionStore: predictionLog?.store,
    jobs,
    containerState: supervisor && (() => supervisor.containerState()),
    metricsText: supervisor && (() => supervisor.containerMetrics())
  })

  return { app, predictor, start: listenAndLoad }

  async function listenAndLoad(): Promise<RunningServer> {
    // Bun's own cap is a backstop at twice ours: below it, our body reader answers with the JSON 413.
    const listen = (state: string) => {
      app.listen({
        hostname: config.host,
        port: config.port,
        reusePort: config.reusePort,
        // A job upload streams to disk and is bounded by its own limit, counted as it arrives.
        maxRequestBodySize: Math.max(config.maxBodyBytes * 2, jobs ? config.jobMaxBytes : 0) + 1024 * 1024,
        ...(tls && { tls })
      })
      const server = app.server as Server<unknown>
      log.info('listening', { port: server.port, tls: tls !== undefined, state })
      supervisor?.listening(server.port!) // with port 0, the other processes are started on this one
      return server
    }
    // Listen first so liveness answers (and readiness says 503) while the models load. Not so one of several server
    // processes that others already serve beside: on a shared port the kernel would hand it connections to refuse.
    const early = supervisor?.listenWhileLoading ?? true
    let server = early ? listen('loading models') : undefined
    const loadStarted = performance.now()
    try {
      await pool.start()
    } catch (error) {
      await pool.close()
      await server?.stop(true)
      await predictionLog?.close()
      await jobs?.stop()
      throw error
    }
    server ??= listen('ready') // no turn of the event loop before it is ready: no request sees it loading
    lifecycle.state = 'ready'
    // Jobs a stop or a crash left resume now.
    const resumed = await jobs?.start()
    if (resumed && resumed.jobs > 0) log.info('jobs resumed', { jobs: resumed.jobs, pending_images: resumed.pendingImages })
    driftMonitor?.start(config.driftIntervalMs)
    const poller =
      repository && config.repositoryPollMs > 0
        ? new RepositoryPoller(repository, {
            modelsDir: config.modelsDir,
            loaded: () => catalog.names(),
            defaultModel: config.defaultModel,
            onApplied: (model, action) => log.info('model repository change applied', { model, action }),
            onError: (model, action, message) => log.warn('model repository change failed', { model, action, error: message })
          })
        : undefined
    poller?.start(config.repositoryPollMs)
    log.info('ready', {
      port: server.port,
      models: catalog.specs().map((s) => s.key),
      // Per version: workers holding it and the memory its sessions added at load (GET /v1/models says the same).
      sessions: Object.fromEntries(catalog.specs().map((s) => [s.key, pool.sessionsOf(s.key)])),
      workers: config.workers,
      intra_op_threads: config.intraOpThreads,
      lone_intra_op_threads: sessionThreads(config).loneIntraOpThreads,
      intra_op_spinning: config.intraOpSpinning,
      lone_intra_op_spinning: config.loneIntraOpSpinning,
      load_ms: Math.round(performance.now() - loadStarted),
      body_budget_bytes: bodyBudget.bytes,
      body_budget_from: describeBudget(bodyBudget)
    })
    supervisor?.ready()

    return {
      port: server.port!,
      async stop() {
        lifecycle.state = 'draining'
        await poller?.stop() // no model loads or unloads while the server drains
        // Job work stops at once (it resumes after the restart): the cores go to the requests being drained.
        await jobs?.pause()
        // New requests are refused at the route (503 draining); those already admitted run to the end.
        const drained = await lifecycle.waitIdle(config.drainTimeoutMs)
        // Every admitted request is answered now (or the drain timed out): what is still open is idle, or discarding a
        // refused upload's body so its client can read the refusal (src/http/linger.ts). A moment for those, then close.
        if (drained) await Promise.race([server.stop(false), Bun.sleep(CLOSE_GRACE_MS)])
        await server.stop(true)
        await jobs?.stop()
        // Every answer is given: what the log still buffers is written now, so nothing answered is lost.
        await driftMonitor?.stop()
        await predictionLog?.close()
        await events?.drain(2_000) // a receiver that is down must not hold up the exit
        await pool.close()
        // Pending shared-tier writes get a moment; a stalled Redis must not hold up the exit.
        await Promise.race([cache?.flush(), Bun.sleep(500)])
        await cache?.close()
        await tracing?.shutdown()
        return { drained }
      }
    }
  }
}
