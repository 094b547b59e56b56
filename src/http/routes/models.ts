import { Elysia, t, type Static } from 'elysia'
import type { Config } from '../../config/schema'
import type { ModelSpec } from '../../models/registry'
import type { ModelCatalogue } from '../../app'
import { normalisationOf } from '../../models/manifest'
import { imageShape } from '../../preprocessing/layout'
import { errorResponses } from '../../schemas/errors'
import { ModelInfo, ModelList } from '../../schemas/models'

function describe(model: ModelSpec, catalog: ModelCatalogue, config: Readonly<Config>): Static<typeof ModelInfo> {
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
    license: manifest.license
  }
}

/** GET /v1/models, GET /v1/models/:name and GET /v1/models/:name/versions/:version. */
export function modelRoutes(config: Readonly<Config>, catalog: ModelCatalogue) {
  return new Elysia({ name: 'routes.models' })
    .get('/v1/models', () => ({ models: catalog.names().map((name) => describe(catalog.resolve(name), catalog, config)) }), {
      response: ModelList,
      detail: { tags: ['models'], summary: 'List the loaded models (each at its default version)' }
    })
    .get('/v1/models/:name', ({ params }) => describe(catalog.resolve(params.name), catalog, config), {
      params: t.Object({ name: t.String({ examples: ['mobilenetv2'] }) }),
      response: { 200: ModelInfo, ...errorResponses(404) },
      detail: { tags: ['models'], summary: 'Describe one model at its default version: versions, tensors, preprocessing, batching' }
    })
    .get('/v1/models/:name/versions/:version', ({ params }) => describe(catalog.resolve(params.name, params.version), catalog, config), {
      params: t.Object({ name: t.String({ examples: ['mobilenetv2'] }), version: t.String({ examples: ['1'] }) }),
      response: { 200: ModelInfo, ...errorResponses(404) },
      detail: { tags: ['models'], summary: 'Describe one version of a model' }
    })
}
