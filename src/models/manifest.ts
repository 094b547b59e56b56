import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

const Triple = (description: string) => Type.Tuple([Type.Number(), Type.Number(), Type.Number()], { description })

/**
 * `models/<name>/model.json`: everything the server needs to serve an image classifier it has
 * never seen. Weights live in `models/<name>/<version>/model.onnx`.
 */
export const ManifestSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$', description: 'Must equal the folder name.' }),
    description: Type.Optional(Type.String()),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'Version folder to serve; default: the highest.' })),
    platform: Type.Literal('onnxruntime_onnx'),
    input: Type.Object({
      name: Type.String({ minLength: 1, description: 'Graph input tensor name.' }),
      layout: Type.Literal('NCHW'),
      channels: Type.Literal(3),
      height: Type.Integer({ minimum: 8, maximum: 4096 }),
      width: Type.Integer({ minimum: 8, maximum: 4096 })
    }),
    output: Type.Object({
      name: Type.String({ minLength: 1, description: 'Graph output tensor name.' }),
      kind: Type.Union([Type.Literal('logits'), Type.Literal('probabilities')], {
        description: 'logits are softmaxed by the server; probabilities are returned as they are.'
      }),
      classes: Type.Integer({ minimum: 1, description: 'Length of the class axis; must match the labels.' })
    }),
    preprocessing: Type.Object({
      resizeShorterSide: Type.Integer({ minimum: 8, description: 'Pixels; the shorter side is scaled to this, then centre-cropped to input height × width.' }),
      kernel: Type.Union([Type.Literal('nearest'), Type.Literal('linear'), Type.Literal('cubic'), Type.Literal('lanczos3')], { default: 'lanczos3' }),
      scale: Type.Number({ exclusiveMinimum: 0, description: 'Pixel values are divided by this first (255 → [0,1]).' }),
      mean: Triple('Per-channel mean (RGB), subtracted after scaling.'),
      std: Triple('Per-channel std (RGB), divided after the mean.')
    }),
    labels: Type.String({ description: 'Labels file beside model.json: a JSON array of strings, or one label per line.' }),
    batching: Type.Object({
      maxBatchSize: Type.Integer({ minimum: 1, maximum: 1024, description: 'Largest batch the graph accepts (1 for a fixed batch dim).' }),
      maxBatchDelayMs: Type.Integer({ minimum: 0, maximum: 10_000, description: 'Longest a partial batch waits for company, counted from its oldest request.' })
    }),
    license: Type.Optional(Type.String())
  },
  { additionalProperties: false }
)

export type Manifest = Static<typeof ManifestSchema>

/** Checks a parsed model.json; throws one message naming the file and the field. */
export function validateManifest(value: unknown, file: string): Manifest {
  const withDefaults = Value.Default(ManifestSchema, structuredClone(value))
  const error = Value.Errors(ManifestSchema, withDefaults).First()
  if (error) {
    const field = error.path.replace(/^\//, '').replaceAll('/', '.') || '(root)'
    throw new Error(`${file}: field "${field}": ${error.message}`)
  }
  return withDefaults as Manifest
}
