import { Type, type Static } from '@sinclair/typebox'

/**
 * The JSON part of an inference request, as the Open Inference Protocol (KServe v2 required_api.md,
 * "Inference Request JSON Object") defines it and as tritonclient's http/_utils.py _get_inference_request
 * builds it: `{ id?, parameters?, inputs: [{ name, shape, datatype, parameters?, data? }], outputs? }`.
 * Extra fields are tolerated, as the spec's `#optional`/extension mechanism expects.
 */
const Parameters = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Free-form; this server reads binary_data_size, binary_data, classification, binary_data_output.'
})

/** Most dimensions a request's tensor may have: the image tensors this server takes have 4. */
export const MAX_SHAPE_RANK = 8
/**
 * Largest single dimension: Triton's are int64, but no tensor this server takes comes near 2^31, and with this bound
 * the product of a whole shape stays finite (at most 2^248), so an element count compares as a number, never as
 * Infinity or NaN. Whether the product fits the model is checked against the model before any data is read.
 */
export const MAX_DIMENSION = 2 ** 31 - 1

export const RequestInputSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  shape: Type.Array(Type.Integer({ minimum: 0, maximum: MAX_DIMENSION }), { maxItems: MAX_SHAPE_RANK }),
  datatype: Type.String(),
  parameters: Type.Optional(Parameters),
  // Row-major, flat or nested (the spec allows both); absent when the data follows in binary.
  data: Type.Optional(Type.Unknown())
})

export const RequestOutputSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  parameters: Type.Optional(Parameters)
})

export const InferRequestSchema = Type.Object({
  id: Type.Optional(Type.String({ maxLength: 256 })),
  parameters: Type.Optional(Parameters),
  inputs: Type.Array(RequestInputSchema, { minItems: 1, maxItems: 8 }),
  outputs: Type.Optional(Type.Array(RequestOutputSchema, { maxItems: 8 }))
})

export type InferRequestJson = Static<typeof InferRequestSchema>

const MetadataTensor = Type.Object({
  name: Type.String(),
  datatype: Type.String({ examples: ['FP32', 'UINT8', 'BYTES'] }),
  shape: Type.Array(Type.Integer(), { description: '-1 is a dynamic dimension.' })
})

/** GET /v2: `{ name, version, extensions }` (required_api.md "Server Metadata Response JSON Object"). */
export const ServerMetadataSchema = Type.Object({
  name: Type.String(),
  version: Type.String(),
  extensions: Type.Array(Type.String())
})

/** GET /v2/models/{m}[/versions/{v}] (required_api.md "Model Metadata Response JSON Object"). */
export const ModelMetadataSchema = Type.Object({
  name: Type.String(),
  versions: Type.Array(Type.String()),
  platform: Type.String(),
  inputs: Type.Array(MetadataTensor),
  outputs: Type.Array(MetadataTensor)
})

const ResponseOutput = Type.Object({
  name: Type.String(),
  shape: Type.Array(Type.Integer()),
  datatype: Type.String(),
  parameters: Type.Optional(Parameters),
  data: Type.Optional(Type.Array(Type.Union([Type.Number(), Type.String()])))
})

/** POST …/infer in JSON (required_api.md "Inference Response JSON Object"). */
export const InferResponseSchema = Type.Object({
  model_name: Type.String(),
  model_version: Type.Optional(Type.String()),
  id: Type.Optional(Type.String()),
  parameters: Type.Optional(Parameters),
  outputs: Type.Array(ResponseOutput)
})

/** Every /v2 error: `{"error": $string}`. */
export const V2ErrorSchema = Type.Object({ error: Type.String() })
