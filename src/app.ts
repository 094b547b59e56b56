import { Elysia } from 'elysia'
import { cors } from '@elysiajs/cors'
import type { AppDeps } from './http/app-deps'
import { faultPlugin } from './faults/plugin'
import { authPlugin } from './http/plugins/auth'
import { errorPlugin } from './http/plugins/errors'
import { rateLimitPlugin } from './http/plugins/rate-limit'
import { AllowedMethods } from './http/allowed-methods'
import { requestIdOf } from './http/request-id'
import { requestLogLevel } from './http/request-log'
import { responseStatus } from './http/response-status'
import { docsRoutes } from './http/routes/docs'
import { healthRoutes } from './http/routes/health'
import { metricsRoute } from './http/routes/metrics'
import { modelRoutes } from './http/routes/models'
import { monitorPageRoutes } from './http/routes/monitor-page'
import { monitoringRoutes } from './http/routes/monitoring'
import { predictRoutes } from './http/routes/predict'
import { RequestGate } from './http/request-gate'
import { tryItRoutes } from './http/routes/try-it'
import { v2Routes } from './http/routes/v2'
import { jobRoutes } from './http/routes/jobs'
import { REPOSITORY_PREFIX, repositoryRoutes } from './http/routes/repository'

const started = new WeakMap<Request, number>()

/** Request headers a browser page may send across origins. */
export const CORS_REQUEST_HEADERS = [
  'authorization',
  'cache-control',
  'content-encoding',
  'content-type',
  'inference-header-content-length',
  'traceparent',
  'x-api-key',
  'x-request-id',
  'x-request-timeout-ms'
]
/** Response headers a browser page may read across origins. */
export const CORS_RESPONSE_HEADERS = [
  'inference-header-content-length',
  'location',
  'retry-after',
  'server-timing',
  'traceparent',
  'www-authenticate',
  'x-request-id',
  'x-served-by'
]

/** Wiring only: no I/O happens here. */
export function createApp(deps: AppDeps) {
  const { config, metrics, log } = deps
  const allowedMethods = new AllowedMethods()
  const traceIdOf = (request: Request) => deps.tracing?.traceId(request)
  const app = new Elysia({ name: 'bun-infer' })
    .use(errorPlugin(log, allowedMethods, traceIdOf))
    .onRequest(({ request, set }) => {
      started.set(request, performance.now())
      set.headers['x-request-id'] = requestIdOf(request)
      const traceparent = deps.tracing?.start(request, new URL(request.url).pathname)
      if (traceparent) set.headers.traceparent = traceparent
      if (config.instanceId) set.headers['x-served-by'] = config.instanceId
    })
    .onAfterHandle({ as: 'global' }, ({ set }) => {
      // While draining, answers (of requests admitted before) close their connection, so keep-alive
      // clients reconnect elsewhere instead of reusing a socket that is about to go.
      if (deps.lifecycle.state === 'draining') set.headers.connection = 'close'
    })
    .onAfterResponse({ as: 'global' }, ({ request, route, set, responseValue }) => {
      // The status the client got, errors included (set.status alone says 200 for those).
      const status = responseStatus(request, responseValue, set.status)
      const labels = { route: route || 'unmatched', method: request.method, status: String(status) }
      const ms = performance.now() - (started.get(request) ?? performance.now())
      const traceId = traceIdOf(request)
      deps.tracing?.end(request, status, labels.route)
      metrics.httpRequests.inc(labels)
      metrics.httpDuration.observe(labels, ms / 1000)
      log[requestLogLevel(labels.route)]('request', {
        request_id: requestIdOf(request),
        trace_id: traceId,
        ...labels,
        status,
        ms: Math.round(ms * 10) / 10
      })
    })
  // CORS first: a preflight is answered before auth, and 401/429 responses still carry CORS headers. The header
  // lists are named: the plugin's default mirrors whatever the request sent, which exposes none of ours.
  if (config.corsOrigins.length > 0)
    app.use(
      cors({
        origin: config.corsOrigins.includes('*') ? true : config.corsOrigins,
        credentials: false,
        allowedHeaders: CORS_REQUEST_HEADERS,
        exposeHeaders: CORS_RESPONSE_HEADERS
      })
    )
  if (deps.armFault) app.use(faultPlugin(deps.armFault))
  // One admission for /v1 and /v2: one body budget, one per-client share, one reading of X-Forwarded-For.
  const gate = new RequestGate(config, deps.lifecycle, metrics.registry)
  const routed = app
    // The repository extension takes admin keys only (checked by its routes), never inference keys.
    // Auth comes before the rate limit: a refused key takes no client's tokens, and only a key it verified names a client.
    .use(authPlugin(deps.apiKeys, deps.repository ? [...config.exemptPaths, REPOSITORY_PREFIX] : config.exemptPaths))
    .use(rateLimitPlugin(config.rateLimitPerSecond, config.rateLimitBurst, config.exemptPaths, gate.proxies))
    .use(docsRoutes(deps.version))
    .use(tryItRoutes())
    .use(monitorPageRoutes())
    .use(healthRoutes(deps.lifecycle, deps.workersHealthy, deps.containerState))
    .use(metricsRoute(metrics, deps.metricsText))
    .use(modelRoutes(config, deps.catalog, () => deps.lifecycle.state === 'ready' && deps.workersHealthy(), deps.sessionsOf))
    .use(monitoringRoutes(config, deps.catalog, deps.predictionStore))
    .use(predictRoutes({ ...deps, gate }))
    .use(v2Routes({ ...deps, gate }))
    .use(deps.jobs ? jobRoutes({ jobs: deps.jobs, lifecycle: deps.lifecycle, proxies: gate.proxies }) : new Elysia())
    .use(repositoryRoutes(deps.repository, config.adminKeys))
  allowedMethods.index(routed.routes)
  return routed
}
