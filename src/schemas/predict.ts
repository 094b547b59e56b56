import { t } from 'elysia'
import { Type } from '@sinclair/typebox'
import { MAX_TOP_K } from '../top-k'

// Request bodies use plain TypeBox: Elysia's t.Integer also accepts numeric strings (for query params),
// which a JSON body must not. We validate them ourselves (src/http/predict-body.ts) and show them in OpenAPI.
const TopK = Type.Integer({ minimum: 1, maximum: MAX_TOP_K, description: 'Labels per image, best first (default 5).', examples: [5] })

/** Base64 image, optionally as a data: URL. Length is bounded by the body limit, checked before parsing. */
const Base64Image = Type.String({
  minLength: 1,
  description: 'The image bytes in base64, or a data:image/...;base64, URL.',
  examples: ['data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ...']
})

export const PredictJsonBody = Type.Object(
  {
    image: Type.Optional(Base64Image),
    images: Type.Optional(Type.Array(Base64Image, { minItems: 1, description: 'Several images; results come back in this order.' })),
    top_k: Type.Optional(TopK)
  },
  { additionalProperties: false, description: 'Exactly one of image or images.', $id: '#/components/schemas/PredictJsonRequest' }
)

/** For the docs page: what a multipart upload looks like (validated by hand in the route, not by Elysia). */
export const PredictMultipartBody = Type.Object(
  {
    image: Type.Array(Type.String({ format: 'binary', description: 'A JPEG, PNG, WebP, GIF, AVIF or TIFF file.' }), {
      minItems: 1,
      description: 'One or more files in fields named image; results come back in this order.'
    }),
    top_k: Type.Optional(TopK)
  },
  { $id: '#/components/schemas/PredictMultipartRequest' }
)

// Responses use TypeBox's own Integer: Elysia's t.Integer is a transform (it accepts numeric strings), and a
// response schema with a transform makes Elysia run TypeBox's slow Value.Encode on every answer, instead of the
// compiled check it runs otherwise.
export const Prediction = t.Object(
  {
    label: t.String({ examples: ['Egyptian Mau'] }),
    class_index: Type.Integer({ examples: [285] }),
    score: t.Number({ description: 'Probability in [0,1] (softmax of the logits).', examples: [0.66] })
  },
  { $id: '#/components/schemas/Prediction' }
)

export const PredictResponse = t.Object(
  {
    model: t.String({ examples: ['mobilenetv2'] }),
    model_version: t.String({ examples: ['1'] }),
    predictions: t.Array(t.Array(Prediction), { description: 'One list per image, in request order.' }),
    metadata: t.Object(
      {
        request_id: t.String(),
        decode_wait_ms: t.Number({
          description:
            'Waiting before the decode: for a decode slot (BUN_INFER_MAX_CONCURRENT_DECODES) and, behind a backlog, for the workers to need more decoded images; until the last image of the request started decoding.'
        }),
        preprocess_ms: t.Number({
          description: 'Decode + resize + crop, from when the last image got its decode slot until all are decoded.'
        }),
        queue_ms: t.Number({ description: 'Longest wait of any image between queueing and dispatch.' }),
        inference_ms: t.Number({ description: 'Longest session.run of the batches this request ran in.' }),
        batch_size: Type.Integer({ description: 'Largest batch any of its images ran in.' }),
        batch_sizes: t.Array(Type.Integer(), { description: 'The batch size each image ran in, in order (0: answered from the cache).' }),
        cached: t.Boolean({ description: 'Every image was answered from the result cache (no worker touched).' }),
        cached_images: Type.Integer({ description: 'How many images were answered from the result cache.' })
      },
      { $id: '#/components/schemas/PredictionMetadata' }
    )
  },
  { $id: '#/components/schemas/PredictionResponse' }
)

/**
 * OpenAPI requestBody for the predict routes: two media types with their own schemas, which Elysia's
 * `body` option cannot express (it would show one schema under every type). The route parses by hand.
 */
export const predictRequestBodyDoc = {
  required: true,
  description: 'multipart/form-data with one or more `image` files, or JSON with base64 `image` / `images`. Optional `top_k`.',
  content: {
    'multipart/form-data': { schema: PredictMultipartBody },
    'application/json': { schema: PredictJsonBody, example: { image: 'data:image/jpeg;base64,/9j/4AAQ...', top_k: 3 } }
  }
}
