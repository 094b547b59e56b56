import { Elysia, t, type Static } from 'elysia'
import type { Config } from '../../config/schema'
import type { ModelSpec } from '../../models/registry'
import type { Predictor } from '../../predictor'
import { errorResponses } from '../../schemas/errors'
import { ModelInfo, ModelList } from '../../schemas/models'

function describe(model: ModelSpec, config: Readonly<Config>): Static<typeof ModelInfo> {
  const { manifest } = model
  const { input, output, preprocessing: pre } = manifest
  return {
    name: model.name,
    version: String(model.version),
    versions: model.availableVersions.map(String),
    description: manifest.description,
    platform: manifest.platform,
    default: model.name === config.defaultModel,
    inputs: [{ name: input.name, datatype: 'FP32', shape: [-1, input.channels, input.height, input.width] }],
    outputs: [{ name: output.name, datatype: 'FP32', shape: [-1, output.classes], kind: output.kind }],
    preprocessing: {
      resize_shorter_side: pre.resizeShorterSide,
      crop: [input.height, input.width],
      kernel: pre.kernel,
      scale: pre.scale,
      mean: [...pre.mean],
      std: [...pre.std]
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

/** GET /v1/models and GET /v1/models/:name. */
export function modelRoutes(config: Readonly<Config>, predictor: Predictor) {
  return new Elysia({ name: 'routes.models' })
    .get('/v1/models', () => ({ models: [...predictor.models.values()].map((m) => describe(m, config)) }), {
      response: ModelList,
      detail: { tags: ['models'], summary: 'List the loaded models' }
    })
    .get('/v1/models/:name', ({ params }) => describe(predictor.model(params.name), config), {
      params: t.Object({ name: t.String({ examples: ['mobilenetv2'] }) }),
      response: { 200: ModelInfo, ...errorResponses(404) },
      detail: { tags: ['models'], summary: 'Describe one model: tensors, preprocessing, batching' }
    })
}
