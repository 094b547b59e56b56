import { Elysia, t, type Static } from 'elysia'
import type { Config } from '../../config/schema'
import type { ModelSpec } from '../../models/catalog'
import type { ModelLookup } from '../app-deps'
import type { ModelSessions } from '../../inference/pool'
import { normalisationOf } from '../../models/manifest'
import { imageShape } from '../../preprocessing/layout'
import { errorResponses } from '../../schemas/errors'
import { ModelInfo, ModelList } from '../../schemas/models'

function describe(
  model: ModelSpec,
  catalog: ModelLookup,
  config: Readonly<Config>,
  ready: boolean,
  sessions: ModelSessions | undefined
): Static<typeof ModelInfo> {
  const { manifest } = model
  const { input, output, preprocessing: pre } = manifest
  const normalise = normalisationOf(manifest)
  return {
    name: model.name,
    version: String(model.version),
    versions: catalog.versionsOf(model.name).map((v) => String(v.version)),
    description: manifest.description,
    platform: manifest.platform,
    default: model.name === config.defaultModel,
    ready,
    inputs: [{ name: input.name, datatype: input.datatype === 'uint8' ? 'UINT8' : 'FP32', shape: [-1, ...imageShape(input)] }],
    outputs: [{ name: output.name, datatype: 'FP32', shape: [-1, output.classes], kind: output.kind }],
    preprocessing: {
      resize_shorter_side: pre.resizeShorterSide,
      crop: [input.height, input.width],
      kernel: pre.kernel,
      layout: input.layout,
      channel_order: input.channelOrder,
      ...(normalise && { scale: normalise.scale, mean: [...normalise.mean], std: [...normalise.std] })
    },
    batching: {
      max_batch_size: model.maxBatchSize,
      max_batch_delay_ms: model.maxBatchDelayMs,
      max_queue_images: config.maxQueueImages
    },
    labels: model.labels.length,
    ...(sessions && { instances: sessions.instances, memory_bytes: sessions.memoryBytes }),
    license: manifest.license
  }
}

/**
 * GET /v1/models, GET /v1/models/:name and GET /v1/models/:name/versions/:version. `ready()` is what
 * /v2/models/{m}/ready answers for a listed model: the server is ready and every worker alive (a model is in the
 * catalogue only once its sessions are loaded, and leaves it when it starts to unload).
 */
export function modelRoutes(
  config: Readonly<Config>,
  catalog: ModelLookup,
  ready: () => boolean = () => true,
  sessionsOf: (key: string) => ModelSessions | undefined = () => undefined
) {
  const info = (model: ModelSpec) => describe(model, catalog, config, ready(), sessionsOf(model.key))
  return new Elysia({ name: 'routes.models' })
    .get('/v1/models', () => ({ models: catalog.names().map((name) => info(catalog.resolve(name))) }), {
      response: ModelList,
      detail: { tags: ['models'], summary: 'List the loaded models (each at its default version)' }
    })
    .get('/v1/models/:name', ({ params }) => info(catalog.resolve(params.name)), {
      params: t.Object({ name: t.String({ examples: ['mobilenetv2'] }) }),
      response: { 200: ModelInfo, ...errorResponses(404) },
      detail: { tags: ['models'], summary: 'Describe one model at its default version: versions, tensors, preprocessing, batching' }
    })
    .get('/v1/models/:name/versions/:version', ({ params }) => info(catalog.resolve(params.name, params.version)), {
      params: t.Object({ name: t.String({ examples: ['mobilenetv2'] }), version: t.String({ examples: ['1'] }) }),
      response: { 200: ModelInfo, ...errorResponses(404) },
      detail: { tags: ['models'], summary: 'Describe one version of a model' }
    })
}
