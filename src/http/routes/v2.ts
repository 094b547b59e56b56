import { Elysia, t } from 'elysia'
import type { Config } from '../../config/schema'
import type { Lifecycle } from '../../lifecycle'
import type { ModelLookup } from '../app-deps'
import { unlessAborted } from '../deadline'
import { readBodyLimited } from '../read-body'
import { type ContentCoding, decodeBody, encodeBody, requestCoding, responseCoding } from '../content-coding'
import type { RequestGate } from '../request-gate'
import type { ModelSpec } from '../../models/catalog'
import { cacheMode, serverTiming } from '../predict-response'
import { requestIdOf } from '../request-id'
import type { Tracing } from '../../tracing/tracing'
import { requestedOutputs, runModel, toOutputTensors, type V2Service } from '../../v2/infer'
import { checkModelInputs, toModelInput } from '../../v2/inputs'
import { modelMetadata } from '../../v2/model-interface'
import { HEADER_LENGTH, parseInferRequest } from '../../v2/request'
import { inferJsonBounds } from '../../v2/request-bounds'
import { encodeInferResponse } from '../../v2/response'
import { InferResponseSchema, ModelMetadataSchema, ServerMetadataSchema, V2ErrorSchema } from '../../v2/schemas'
import { v2Docs } from './v2-docs'
import type { ContainerState } from '../../processes/protocol'

export interface V2Deps {
  config: Readonly<Config>
  predictor: V2Service
  catalog: ModelLookup
  lifecycle: Lifecycle
  workersHealthy: () => boolean
  /** Whether every server process of the container is ready; absent when one serves alone. */
  containerState?: () => ContainerState
  /** Admission shared with /v1: readiness, deadline, client share, in-flight count, body budget. */
  gate: RequestGate
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
export function v2Routes({ config, predictor, catalog, lifecycle, workersHealthy, containerState, gate, version, tracing }: V2Deps) {
  // The spec: "A 200 status code indicates true and a 4xx status code indicates false", with an empty body.
  const healthy = () => lifecycle.state === 'ready' && workersHealthy() && (containerState?.() ?? 'ready') === 'ready'
  const health = (ok: boolean, set: { status?: number | string }) => {
    set.status = ok ? 200 : 400
    return ''
  }

  function infer(request: Request, ip: () => string | undefined, name: string, versionParam: string | undefined): Promise<Response> {
    const cache = cacheMode(request)
    let spec: ModelSpec
    let coding: ContentCoding | undefined
    const earlyChecks = () => {
      spec = catalog.resolve(name, versionParam)
      coding = requestCoding(request.headers) // 415 for a coding we cannot decode, before the body is read
      predictor.checkBeforeBody(name, versionParam, cache) // 404 and 429 before the body is read, as on /v1
    }
    return gate.run(request, ip, earlyChecks, async ({ signal, body: reservation, startedAt, readBody, client }) => {
      const sent = await readBody((bodySignal) => readBodyLimited(request, config.maxBodyBytes, bodySignal, reservation))
      const body = coding ? await readBody((bodySignal) => decodeBody(sent, coding!, config.maxBodyBytes, bodySignal, reservation)) : sent
      // Bounded by what a request to this model can hold, and checked against the model, before any data is built.
      const parsed = parseInferRequest(body, request.headers.get(HEADER_LENGTH), {
        json: inferJsonBounds(spec, config.maxImagesPerRequest),
        checkDeclared: (inputs) => checkModelInputs(spec, inputs, config)
      })
      const outputs = requestedOutputs(spec, parsed)
      const input = toModelInput(spec, parsed.inputs, config)
      const runStarted = performance.now()
      const answer = await unlessAborted(
        runModel(predictor, spec, input, outputs, {
          signal,
          cache,
          origin: { requestId: requestIdOf(request), client: client(), api: 'v2' }
        }),
        signal
      )
      const head = { model_name: spec.name, model_version: String(spec.version), ...(parsed.id !== undefined && { id: parsed.id }) }
      const encoded = encodeInferResponse(head, toOutputTensors(spec, answer, outputs, parsed.binaryDataOutput))
      const images = input.kind === 'images' ? input.images.length : input.tensors.length
      tracing?.stages(request, runStarted, answer.timings, {
        'bun_infer.model': spec.name,
        'bun_infer.model_version': String(spec.version),
        'bun_infer.request_id': requestIdOf(request),
        'bun_infer.images': images
      })
      const headers: Record<string, string> = {
        ...encoded.headers,
        'server-timing': serverTiming({ ...answer.timings, batchSizes: [] }, performance.now() - startedAt),
        vary: 'Accept-Encoding'
      }
      const answerCoding = responseCoding(request.headers.get('accept-encoding'))
      if (answerCoding) headers['content-encoding'] = answerCoding
      const payload = answerCoding ? encodeBody(encoded.body, answerCoding) : encoded.body
      return new Response(payload as unknown as BodyInit, { headers })
    })
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
      ({ request, server, params }) => infer(request, () => server?.requestIP(request)?.address, params.name, undefined),
      {
        parse: 'none',
        params: ModelParams,
        response: { 200: InferResponseSchema, ...errors(400, 401, 404, 408, 413, 415, 429, 503, 504) },
        detail: docs.infer
      }
    )
    .post(
      '/v2/models/:name/versions/:version/infer',
      ({ request, server, params }) => infer(request, () => server?.requestIP(request)?.address, params.name, params.version),
      {
        parse: 'none',
        params: VersionParams,
        response: { 200: InferResponseSchema, ...errors(400, 401, 404, 408, 413, 415, 429, 503, 504) },
        detail: docs.infer
      }
    )
}
