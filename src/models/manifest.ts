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
      datatype: Type.Union([Type.Literal('float32'), Type.Literal('uint8')], {
        default: 'float32',
        description: 'Element type of the graph input; uint8 models take raw pixel values (no normalisation).'
      }),
      layout: Type.Union([Type.Literal('NCHW'), Type.Literal('NHWC')], { description: 'Axis order of the graph input.' }),
      channelOrder: Type.Union([Type.Literal('RGB'), Type.Literal('BGR')], {
        default: 'RGB',
        description: 'Channel order the graph expects.'
      }),
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
      resizeShorterSide: Type.Integer({
        minimum: 8,
        description: 'Pixels; the shorter side is scaled to this, then centre-cropped to input height × width.'
      }),
      kernel: Type.Union([Type.Literal('nearest'), Type.Literal('linear'), Type.Literal('cubic'), Type.Literal('lanczos3')], {
        default: 'lanczos3'
      }),
      // All three or none: none means the graph takes raw 0–255 values (it normalises itself, or is uint8).
      scale: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Pixel values are divided by this first (255 → [0,1]).' })),
      mean: Type.Optional(Triple('Per-channel mean in RGB order (whatever channelOrder is), subtracted after scaling.')),
      std: Type.Optional(Triple('Per-channel std in RGB order, divided after the mean.'))
    }),
    labels: Type.String({
      description:
        'Labels file in the model folder, relative to it: a JSON array of strings, or one label per line. It must resolve inside the folder (no absolute path; no .. or symlink out).'
    }),
    batching: Type.Object({
      maxBatchSize: Type.Integer({ minimum: 1, maximum: 1024, description: 'Largest batch the graph accepts (1 for a fixed batch dim).' }),
      maxBatchDelayMs: Type.Integer({
        minimum: 0,
        maximum: 10_000,
        description: 'Longest a partial batch waits for company, counted from its oldest request.'
      })
    }),
    instances: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1024,
        description:
          "Workers that hold a session of this model (Triton's instance_group count): fewer than the pool for a rarely used model saves their memory. Default, or more than the pool: every worker."
      })
    ),
    license: Type.Optional(Type.String())
  },
  { additionalProperties: false }
)

export type Manifest = Static<typeof ManifestSchema>

/** (x / scale − mean) / std per RGB channel, or undefined when the graph takes raw pixel values. */
export function normalisationOf(
  manifest: Manifest
): { scale: number; mean: [number, number, number]; std: [number, number, number] } | undefined {
  const { scale, mean, std } = manifest.preprocessing
  return scale !== undefined && mean && std ? { scale, mean, std } : undefined
}

/** Rules one field's schema cannot say: the normalisation fields come together, and never for a uint8 input. */
function crossFieldError(manifest: Manifest): [string, string] | undefined {
  const { scale, mean, std } = manifest.preprocessing
  const present = [scale, mean, std].filter((v) => v !== undefined).length
  if (present !== 0 && present !== 3)
    return ['preprocessing', 'scale, mean and std come together (all three, or none for raw pixel values)']
  if (present === 3 && manifest.input.datatype === 'uint8')
    return ['preprocessing.scale', 'a uint8 input takes raw pixel values: leave out scale, mean and std']
  return undefined
}

/** Checks a parsed model.json; throws one message naming the file and the field. */
export function validateManifest(value: unknown, file: string): Manifest {
  const withDefaults = Value.Default(ManifestSchema, structuredClone(value))
  const error = Value.Errors(ManifestSchema, withDefaults).First()
  if (error) {
    const field = error.path.replace(/^\//, '').replaceAll('/', '.') || '(root)'
    throw new Error(`${file}: field "${field}": ${error.message}`)
  }
  const crossField = crossFieldError(withDefaults as Manifest)
  if (crossField) throw new Error(`${file}: field "${crossField[0]}": ${crossField[1]}`)
  return withDefaults as Manifest
}
