import { InferRequestSchema } from '../../v2/schemas'

/** OpenAPI `detail` of the /v2 routes (kept apart so the routes file stays about behaviour). */
export function v2Docs(defaultModel: string) {
  const tags = ['v2 (Open Inference Protocol)']
  return {
    server: {
      tags,
      summary: 'Server metadata: name, version, extensions',
      description:
        'extensions: binary_tensor_data (tensors as little-endian bytes after the JSON header, BYTES elements as a 4-byte ' +
        'length then the bytes) and classification (top-k "score:index:label" strings, scores printed as Triton prints them).'
    },
    live: { tags, summary: 'Liveness: 200 while the process answers (empty body)' },
    ready: {
      tags,
      summary: 'Readiness: 200 when every model is loaded and every worker alive; 400 otherwise (empty body, as the spec says)'
    },
    model: {
      tags,
      summary: 'Model metadata: versions, platform, inputs and outputs (-1: dynamic dimension)',
      description: `Two inputs are listed: the graph's own tensor (e.g. FP32 [-1,3,224,224] for ${defaultModel}) and "image", BYTES [-1] of encoded images.`
    },
    modelReady: { tags, summary: 'Model readiness: 200 when the model (version) serves, 400 while loading, 404 for an unknown one' },
    infer: {
      tags,
      summary: 'Inference (JSON, or JSON + binary tensor data)',
      description:
        'Send exactly one input: "image" (BYTES [N]: base64 text in JSON, raw file bytes in binary; preprocessed exactly as /v1) ' +
        "or the model's own input tensor (its name, datatype and shape; no preprocessing). Outputs: the raw output tensor, or with " +
        '`parameters.classification: k` the top k as "score:index:label" (BYTES [N,k]). Binary tensor data: header ' +
        '`Inference-Header-Content-Length`, `parameters.binary_data_size` on inputs, `parameters.binary_data` on outputs or ' +
        '`parameters.binary_data_output` on the request. Compression as tritonclient does it: a body with ' +
        '`Content-Encoding: gzip` or `deflate` (its Inference-Header-Content-Length counts the uncompressed JSON; the ' +
        'decompressed size is held to the body limit and budget), and the answer compressed when `Accept-Encoding` names ' +
        'gzip or deflate. Errors are {"error": "…"}.',
      // Cast as in the predict routes: openapi-types' typings disagree with TypeBox's JSON Schema in details.
      requestBody: {
        content: {
          'application/json': { schema: InferRequestSchema },
          'application/octet-stream': {
            schema: {
              type: 'string',
              format: 'binary',
              description: 'The JSON request (its byte length in Inference-Header-Content-Length), then each binary input in order.'
            }
          }
        }
      } as never
    }
  }
}
