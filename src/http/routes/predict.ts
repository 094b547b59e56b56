import { Elysia, t } from 'elysia'
import type { Config } from '../../config/schema'
import { AppError } from '../../errors'
import type { PredictService } from '../../app'
import { PredictResponse, predictRequestBodyDoc } from '../../schemas/predict'
import { errorResponses } from '../../schemas/errors'
import { parsePredictBody } from '../body'
import { createBodyBudget, type Reservation } from '../byte-budget'
import { admitBody } from '../read-body'
import { requestDeadline, TIMEOUT_HEADER, unlessAborted } from '../deadline'
import { cacheMode, serverTiming, toPredictBody } from '../predict-response'
import { requestIdOf } from '../request-id'
import { clientId } from '../client-id'
import { ClientShare } from '../client-share'
import { TrustedProxies } from '../trusted-proxies'
import type { Lifecycle } from '../../lifecycle'
import type { Tracing } from '../../tracing/tracing'
import type { Registry } from 'prom-client'
import { registerBodyBudgetMetrics } from '../../metrics/body-budget'

export interface PredictDeps {
  config: Readonly<Config>
  predictor: PredictService
  lifecycle: Lifecycle
  tracing?: Tracing
  /** Where the body budget's gauges go (absent in tests that do not read them). */
  metrics?: { registry: Registry }
}

// requestBody is cast below: TypeBox schemas are JSON Schema, but openapi-types' older typings disagree on exclusiveMaximum.
const ModelName = t.String({ description: 'Model name, as listed by GET /v1/models.', examples: ['shufflenetv2'] })

const responses = { 200: PredictResponse, ...errorResponses(400, 401, 404, 408, 413, 415, 422, 429, 500, 503, 504) }

const description = (which: string) =>
  `Classifies one or more images with ${which}. Send multipart/form-data with one or more \`image\` files ` +
  `(try it below: "Try it out", pick a photo), or JSON with a base64 \`image\` or \`images\` array. ` +
  `Images are decoded and preprocessed before they queue, then batched with other requests. ` +
  `Header \`${TIMEOUT_HEADER}\` may shorten the server's deadline. Results are cached by image content, model, ` +
  `version and top_k (\`metadata.cached\`); \`Cache-Control: no-cache\` recomputes, \`no-store\` bypasses the cache.`

/** POST /v1/predict (default model) and POST /v1/models/:name/predict. */
export function predictRoutes({ config, predictor, lifecycle, tracing, metrics }: PredictDeps) {
  const limits = config
  /** The body, within the body timeout (408) and the request deadline (504), whichever comes first. */
  async function readBody(request: Request, deadlineSignal: AbortSignal, reservation: Reservation) {
    const controller = new AbortController()
    const timer = setTimeout(
      // Connection: close, as RFC 9110 asks after a 408: a stalled client must not keep its socket.
      () =>
        controller.abort(
          new AppError('body_timeout', `the body did not arrive within ${config.bodyTimeoutMs} ms`, { headers: { connection: 'close' } })
        ),
      config.bodyTimeoutMs
    )
    const signal = AbortSignal.any([controller.signal, deadlineSignal])
    try {
      return await unlessAborted(parsePredictBody(request, limits, signal, reservation), signal)
    } finally {
      clearTimeout(timer)
    }
  }

  const share = new ClientShare(config.maxInFlightPerClient)
  const proxies = new TrustedProxies(config.trustedProxies)
  const bodyBudget = createBodyBudget(config)
  if (metrics) registerBodyBudgetMetrics(metrics.registry, bodyBudget)

  async function handle(
    request: Request,
    ip: string | undefined,
    name: string,
    version: string | undefined,
    set: { headers: Record<string, string | number> }
  ) {
    if (lifecycle.state === 'draining')
      throw new AppError('draining', 'the server is shutting down', { retryAfterSeconds: 1, headers: { connection: 'close' } })
    if (lifecycle.state !== 'ready') throw new AppError('not_ready', 'models are still loading', { retryAfterSeconds: 1 })
    const cache = cacheMode(request)
    predictor.checkBeforeBody(name, version, cache) // 404 and 429 before the body is read
    const deadline = requestDeadline(request, config.requestTimeoutMs)
    let leave: () => void
    try {
      leave = share.enter(clientId(request, ip, proxies))
    } catch (error) {
      deadline.dispose()
      throw error
    }
    const handlerStarted = performance.now()
    lifecycle.begin()
    // Everything taken above (deadline timer, client share, in-flight count) is given back in finally.
    let body: Reservation | undefined
    try {
      body = admitBody(bodyBudget, request, config.maxBodyBytes) // 429 before a byte is read
      const input = await readBody(request, deadline.signal, body)
      const predictStarted = performance.now()
      const result = await unlessAborted(
        predictor.predict(name, version, input.images, {
          topK: input.topK ?? config.defaultTopK,
          signal: deadline.signal,
          cache,
          onDecoded: body.release // the encoded bytes are dropped once decoded: give their budget back then
        }),
        deadline.signal
      )
      set.headers['server-timing'] = serverTiming(result.timings, performance.now() - handlerStarted)
      tracing?.stages(request, predictStarted, result.timings, {
        'bun_infer.model': result.model,
        'bun_infer.model_version': result.model_version,
        'bun_infer.request_id': requestIdOf(request),
        'bun_infer.images': input.images.length
      })
      return toPredictBody(result, requestIdOf(request))
    } finally {
      body?.release()
      deadline.dispose()
      leave()
      lifecycle.end()
    }
  }

  return new Elysia({ name: 'routes.predict' })
    .post(
      '/v1/predict',
      ({ request, server, set }) => handle(request, server?.requestIP(request)?.address, config.defaultModel, undefined, set),
      {
        parse: 'none',
        response: responses,
        detail: {
          tags: ['predict'],
          summary: `Classify images with the default model (${config.defaultModel})`,
          description: description(`the default model (${config.defaultModel})`),
          requestBody: predictRequestBodyDoc as never
        }
      }
    )
    .post(
      '/v1/models/:name/predict',
      ({ request, server, params, set }) => handle(request, server?.requestIP(request)?.address, params.name, undefined, set),
      {
        parse: 'none',
        params: t.Object({ name: ModelName }),
        response: responses,
        detail: {
          tags: ['predict'],
          summary: 'Classify images with a named model (its default version)',
          description: description('the named model at its default version (the highest unless its manifest pins one)'),
          requestBody: predictRequestBodyDoc as never
        }
      }
    )
    .post(
      '/v1/models/:name/versions/:version/predict',
      ({ request, server, params, set }) => handle(request, server?.requestIP(request)?.address, params.name, params.version, set),
      {
        parse: 'none',
        params: t.Object({ name: ModelName, version: t.String({ description: 'A version folder number.', examples: ['1'] }) }),
        response: responses,
        detail: {
          tags: ['predict'],
          summary: 'Classify images with one pinned version of a model',
          description: description('one pinned version of the named model'),
          requestBody: predictRequestBodyDoc as never
        }
      }
    )
}
