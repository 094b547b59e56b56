import { t } from 'elysia'

const Tensor = t.Object(
  {
    name: t.String(),
    datatype: t.Union([t.Literal('FP32'), t.Literal('UINT8')]),
    shape: t.Array(t.Integer(), { description: '-1 is the batch dimension.' })
  },
  { $id: '#/components/schemas/Tensor' }
)

export const ModelInfo = t.Object(
  {
    name: t.String({ examples: ['mobilenetv2'] }),
    version: t.String({
      description: 'The version described (for a model: its default version, the highest unless pinned).',
      examples: ['1']
    }),
    versions: t.Array(t.String(), { description: 'Every version served; pin one with /v1/models/{name}/versions/{version}/predict.' }),
    description: t.Optional(t.String()),
    platform: t.String({ examples: ['onnxruntime_onnx'] }),
    default: t.Boolean({ description: 'Whether POST /v1/predict uses this model.' }),
    ready: t.Boolean({
      description: 'Whether it can run now (as GET /v2/models/{name}/ready): the server is ready and every worker alive.'
    }),
    inputs: t.Array(Tensor),
    outputs: t.Array(t.Object({ ...Tensor.properties, kind: t.Union([t.Literal('logits'), t.Literal('probabilities')]) })),
    preprocessing: t.Object({
      resize_shorter_side: t.Integer(),
      crop: t.Array(t.Integer(), { description: '[height, width] centre crop.' }),
      kernel: t.String(),
      layout: t.Union([t.Literal('NCHW'), t.Literal('NHWC')]),
      channel_order: t.Union([t.Literal('RGB'), t.Literal('BGR')]),
      scale: t.Optional(t.Number({ description: 'Absent (with mean and std) when the graph takes raw pixel values.' })),
      mean: t.Optional(t.Array(t.Number())),
      std: t.Optional(t.Array(t.Number()))
    }),
    batching: t.Object({
      max_batch_size: t.Integer(),
      max_batch_delay_ms: t.Integer(),
      max_queue_images: t.Integer()
    }),
    labels: t.Integer({ description: 'Number of classes.' }),
    instances: t.Optional(
      t.Integer({
        description:
          "Inference workers holding a session of this version (the manifest's instances, or BUN_INFER_MODEL_INSTANCES; Triton's instance_group count)."
      })
    ),
    memory_bytes: t.Optional(
      t.Integer({
        description:
          'Native memory (the glibc heap) its sessions allocated when they were loaded (weights, graph, a one-image warm-up run), summed over its workers. Activation buffers then grow with the batch size (README, "Memory").'
      })
    ),
    license: t.Optional(t.String())
  },
  { $id: '#/components/schemas/ModelInfo' }
)

export const ModelList = t.Object({ models: t.Array(ModelInfo) }, { $id: '#/components/schemas/ModelList' })
