import { Elysia, t } from 'elysia'
import type { Config } from '../../config/schema'
import type { PredictService } from '../app-deps'
import { PredictResponse, predictRequestBodyDoc } from '../../schemas/predict'
import { errorResponses } from '../../schemas/errors'
import { parsePredictBody } from '../predict-body'
import { TIMEOUT_HEADER, unlessAborted } from '../deadline'
import type { RequestGate } from '../request-gate'
import { cacheMode, serverTiming, toPredictBody } from '../predict-response'
import { requestIdOf } from '../request-id'
import type { Tracing } from '../../tracing/tracing'

export interface PredictDeps {
  config: Readonly<Config>
  predictor: PredictService
  /** Admission shared with /v2: readiness, deadline, client share, in-flight count, body budget. */
  gate: RequestGate
  tracing?: Tracing
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
export function predictRoutes({ config, predictor, gate, tracing }: PredictDeps) {
  function handle(
    request: Request,
    ip: () => string | undefined,
    name: string,
    version: string | undefined,
    set: { headers: Record<string, string | number> }
  ) {
    const cache = cacheMode(request)
    return gate.run(
      request,
      ip,
      () => predictor.checkBeforeBody(name, version, cache),
      async ({ signal, body, startedAt, readBody, client }) => {
        const input = await readBody((bodySignal) => parsePredictBody(request, config, bodySignal, body))
        const predictStarted = performance.now()
        const result = await unlessAborted(
          predictor.predict(name, version, input.images, {
            topK: input.topK ?? config.defaultTopK,
            signal,
            cache,
            onDecoded: body.release, // the encoded bytes are dropped once decoded: give their budget back then
            origin: { requestId: requestIdOf(request), client: client(), api: 'v1' }
          }),
          signal
        )
        set.headers['server-timing'] = serverTiming(result.timings, performance.now() - startedAt)
        tracing?.stages(request, predictStarted, result.timings, {
          'bun_infer.model': result.model,
          'bun_infer.model_version': result.model_version,
          'bun_infer.request_id': requestIdOf(request),
          'bun_infer.images': input.images.length
        })
        return toPredictBody(result, requestIdOf(request))
      }
    )
  }

  return new Elysia({ name: 'routes.predict' })
    .post(
      '/v1/predict',
      ({ request, server, set }) => handle(request, () => server?.requestIP(request)?.address, config.defaultModel, undefined, set),
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
      ({ request, server, params, set }) => handle(request, () => server?.requestIP(request)?.address, params.name, undefined, set),
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
      ({ request, server, params, set }) => handle(request, () => server?.requestIP(request)?.address, params.name, params.version, set),
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
