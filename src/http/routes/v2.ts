import { Elysia, t } from 'elysia'
import type { Config } from '../../config/schema'
import { AppError } from '../../errors'
import type { Lifecycle } from '../../lifecycle'
import type { ModelCatalogue } from '../../app'
import { admitBody, readBodyLimited } from '../read-body'
import { createBodyBudget, type Reservation } from '../byte-budget'
import { clientId } from '../client-id'
import { ClientShare } from '../client-share'
import { TrustedProxies } from '../trusted-proxies'
import { requestDeadline, unlessAborted } from '../deadline'
import { cacheMode, serverTiming } from '../predict-response'
import { requestIdOf } from '../request-id'
import type { Tracing } from '../../tracing/tracing'
import { requestedOutputs, runModel, toOutputTensors, type V2Service } from '../../v2/infer'
import { toModelInput } from '../../v2/inputs'
import { modelMetadata } from '../../v2/model-interface'
import { HEADER_LENGTH, parseInferRequest } from '../../v2/request'
import { encodeInferResponse } from '../../v2/response'
import { InferResponseSchema, ModelMetadataSchema, ServerMetadataSchema, V2ErrorSchema } from '../../v2/schemas'
import { v2Docs } from './v2-docs'

export type { V2Service }

export interface V2Deps {
  config: Readonly<Config>
  predictor: V2Service
  catalog: ModelCatalogue
  lifecycle: Lifecycle
  workersHealthy: () => boolean
  version: string
  /** Present only when tracing is configured. */
  tracing?: Tracing
}

/** Extensions of the protocol this server implements, named as Triton names them in its server metadata. */
export const V2_EXTENSIONS = ['binary_tensor_data', 'classification']

const ModelParams = t.Object({ name: t.String({ examples: ['mobilenetv2'] }) })
const VersionParams = t.Object({ name: t.String({ examples: ['mobilenetv2'] }), version: t.String({ examples: ['1'] }) })
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, V2ErrorSchema]))

/** The Open Inference Protocol (KServe v2 REST) at /v2: health, metadata and inference. Errors are {"error": "…"}. */
export function v2Routes({ config, predictor, catalog, lifecycle, workersHealthy, version, tracing }: V2Deps) {
  const share = new ClientShare(config.maxInFlightPerClient)
  const proxies = new TrustedProxies(config.trustedProxies)
  // /v2 bodies are bounded like /v1's, by a budget of the same size (its own: /v1's lives in its routes).
  const bodyBudget = createBodyBudget(config)
  // The spec: "A 200 status code indicates true and a 4xx status code indicates false", with an empty body.
  const healthy = () => lifecycle.state === 'ready' && workersHealthy()
  const health = (ok: boolean, set: { status?: number | string }) => {
    set.status = ok ? 200 : 400
    return ''
  }

  async function readBody(request: Request, deadline: AbortSignal, reservation: Reservation): Promise<Uint8Array> {
    const timeout = AbortSignal.timeout(config.bodyTimeoutMs)
    const bodyTimeout = new AbortController()
    const onTimeout = () =>
      bodyTimeout.abort(
        new AppError('body_timeout', `the body did not arrive within ${config.bodyTimeoutMs} ms`, { headers: { connection: 'close' } })
      )
    timeout.addEventListener('abort', onTimeout, { once: true })
    const signal = AbortSignal.any([bodyTimeout.signal, deadline])
    try {
      return await unlessAborted(readBodyLimited(request, config.maxBodyBytes, signal, reservation), signal)
    } finally {
      timeout.removeEventListener('abort', onTimeout)
    }
  }

  async function infer(request: Request, ip: string | undefined, name: string, versionParam: string | undefined): Promise<Response> {
    if (lifecycle.state === 'draining')
      throw new AppError('draining', 'the server is shutting down', { retryAfterSeconds: 1, headers: { connection: 'close' } })
    if (lifecycle.state !== 'ready') throw new AppError('not_ready', 'models are still loading', { retryAfterSeconds: 1 })
    const spec = catalog.resolve(name, versionParam)
    const cache = cacheMode(request)
    predictor.checkBeforeBody(name, versionParam, cache) // 404 and 429 before the body is read, as on /v1
    const deadline = requestDeadline(request, config.requestTimeoutMs)
    let leave: () => void = () => {}
    let reservation: Reservation | undefined
    const handlerStarted = performance.now()
    lifecycle.begin()
    try {
      leave = share.enter(clientId(request, ip, proxies))
      reservation = admitBody(bodyBudget, request, config.maxBodyBytes) // 429 before a byte is read
      const body = await readBody(request, deadline.signal, reservation)
      const parsed = parseInferRequest(body, request.headers.get(HEADER_LENGTH))
      const outputs = requestedOutputs(spec, parsed)
      const input = toModelInput(spec, parsed.inputs, config)
      const runStarted = performance.now()
      const answer = await unlessAborted(runModel(predictor, spec, input, outputs, { signal: deadline.signal, cache }), deadline.signal)
      const head = { model_name: spec.name, model_version: String(spec.version), ...(parsed.id !== undefined && { id: parsed.id }) }
      const encoded = encodeInferResponse(head, toOutputTensors(spec, answer, outputs, parsed.binaryDataOutput))
      const images = input.kind === 'images' ? input.images.length : input.tensors.length
      tracing?.stages(request, runStarted, answer.timings, {
        'bun_infer.model': spec.name,
        'bun_infer.model_version': String(spec.version),
        'bun_infer.request_id': requestIdOf(request),
        'bun_infer.images': images
      })
      const headers = {
        ...encoded.headers,
        'server-timing': serverTiming({ ...answer.timings, batchSizes: [] }, performance.now() - handlerStarted)
      }
      return new Response(encoded.body as unknown as BodyInit, { headers })
    } finally {
      reservation?.release()
      deadline.dispose()
      leave()
      lifecycle.end()
    }
  }

  const docs = v2Docs(config.defaultModel)
  return new Elysia({ name: 'routes.v2' })
    .get('/v2', () => ({ name: 'bun-infer', version, extensions: V2_EXTENSIONS }), { response: ServerMetadataSchema, detail: docs.server })
    .get('/v2/health/live', ({ set }) => health(true, set), { detail: docs.live })
    .get('/v2/health/ready', ({ set }) => health(healthy(), set), { detail: docs.ready })
    .get('/v2/models/:name', ({ params }) => modelMetadata(catalog.resolve(params.name), catalog.versionsOf(params.name)), {
      params: ModelParams,
      response: { 200: ModelMetadataSchema, ...errors(404) },
      detail: docs.model
    })
    .get(
      '/v2/models/:name/versions/:version',
      ({ params }) => modelMetadata(catalog.resolve(params.name, params.version), catalog.versionsOf(params.name)),
      {
        params: VersionParams,
        response: { 200: ModelMetadataSchema, ...errors(404) },
        detail: docs.model
      }
    )
    .get('/v2/models/:name/ready', ({ params, set }) => health(Boolean(catalog.resolve(params.name)) && healthy(), set), {
      params: ModelParams,
      detail: docs.modelReady
    })
    .get(
      '/v2/models/:name/versions/:version/ready',
      ({ params, set }) => health(Boolean(catalog.resolve(params.name, params.version)) && healthy(), set),
      {
        params: VersionParams,
        detail: docs.modelReady
      }
    )
    .post(
      '/v2/models/:name/infer',
      ({ request, server, params }) => infer(request, server?.requestIP(request)?.address, params.name, undefined),
      {
        parse: 'none',
        params: ModelParams,
        response: { 200: InferResponseSchema, ...errors(400, 401, 404, 408, 413, 429, 503, 504) },
        detail: docs.infer
      }
    )
    .post(
      '/v2/models/:name/versions/:version/infer',
      ({ request, server, params }) => infer(request, server?.requestIP(request)?.address, params.name, params.version),
      {
        parse: 'none',
        params: VersionParams,
        response: { 200: InferResponseSchema, ...errors(400, 401, 404, 408, 413, 429, 503, 504) },
        detail: docs.infer
      }
    )
}
