/**
 * The one catalogue of errors the API can return. Every error a client sees has a stable `code`
 * from this table, the HTTP status that goes with it, and a human message. The descriptions are plain
 * text: the OpenAPI document shows them, and `bun tools/docs/errors.ts` renders them as the error table
 * of docs/http-api.md (a test fails when that table is stale).
 */
export const ERROR_CATALOGUE = {
  malformed_request: {
    status: 400,
    description:
      'The body could not be parsed: bad JSON, bad multipart, bad base64, an empty body, JSON nested too deep, a compressed body that does not decompress, or a job upload whose multipart body or tar archive is malformed.'
  },
  invalid_inference_request: {
    status: 400,
    description:
      '/v2 only: the inference request parses but does not fit the model (unknown input or output, wrong datatype, shape or element count).'
  },
  repository_refused: {
    status: 400,
    description:
      '/v2/repository only: the model folder does not load (the message gives the reason in one line), or the default model was asked to unload.'
  },
  invalid_image: {
    status: 400,
    description: 'The bytes look like a supported format but do not decode: truncated, corrupt or empty.'
  },
  unauthorized: {
    status: 401,
    description:
      'API keys are on and the request has none, or a wrong one (Authorization: Bearer, or x-api-key); the WWW-Authenticate header names the scheme.'
  },
  not_found: { status: 404, description: 'No such route.' },
  model_not_found: { status: 404, description: 'No model with that name is loaded.' },
  job_not_found: {
    status: 404,
    description: 'No job with that id: it never existed, it expired, or another API key submitted it.'
  },
  body_timeout: {
    status: 408,
    description: 'The request body did not arrive within BUN_INFER_BODY_TIMEOUT_MS (a slow or stalled client).'
  },
  model_version_not_found: { status: 404, description: 'The model exists but has no such version.' },
  method_not_allowed: {
    status: 405,
    description: 'The path exists but not for this method (e.g. GET /v1/predict); the Allow header lists the methods it answers.'
  },
  prediction_log_off: {
    status: 409,
    description: 'The monitoring summary reads the prediction log, which is off (BUN_INFER_PREDICTION_LOG=off).'
  },
  payload_too_large: {
    status: 413,
    description:
      'The body is over BUN_INFER_MAX_BODY_BYTES (a chunked body is counted as it arrives), or its JSON holds more strings, arrays or elements than any valid request to that endpoint; refused before parsing.'
  },
  image_too_large: {
    status: 413,
    description:
      'One image is over BUN_INFER_MAX_IMAGE_BYTES or BUN_INFER_MAX_IMAGE_PIXELS, a progressive JPEG over BUN_INFER_MAX_PROGRESSIVE_PIXELS, or a JPEG with more than BUN_INFER_MAX_JPEG_SCANS scans; checked from the header before decoding, and the pixel limit again by the decoder.'
  },
  too_many_images: {
    status: 413,
    description: 'More than BUN_INFER_MAX_IMAGES_PER_REQUEST images in one request, or more than BUN_INFER_JOB_MAX_IMAGES in one job.'
  },
  job_too_large: {
    status: 413,
    description: 'A job upload over BUN_INFER_JOB_MAX_BYTES, counted as it arrives; nothing of it is kept.'
  },
  unsupported_media_type: {
    status: 415,
    description:
      'A predict request whose Content-Type is neither multipart/form-data nor application/json, a job upload that is neither multipart/form-data nor application/x-tar (or a compressed archive), or a /v2 body whose Content-Encoding is neither gzip nor deflate.'
  },
  unsupported_image_format: {
    status: 415,
    description:
      'The image is not JPEG, PNG, WebP, GIF, AVIF or TIFF by its magic bytes; anything else (SVG, PDF, text) never reaches a decoder.'
  },
  validation_failed: {
    status: 422,
    description:
      'The body parsed but is wrong: no image, both image and images, a bad top_k, an unknown field; or a bad request header (x-request-timeout-ms).'
  },
  rate_limited: {
    status: 429,
    description:
      'This client (a verified API key when auth is on, else the IP) is over BUN_INFER_RATE_LIMIT_PER_SECOND; retry after the Retry-After header.'
  },
  too_many_in_flight: {
    status: 429,
    description:
      'This client (a verified API key when auth is on, else the IP) already has BUN_INFER_MAX_IN_FLIGHT_PER_CLIENT requests in flight; retry after the Retry-After header.'
  },
  too_many_jobs: {
    status: 429,
    description:
      'This client (a verified API key when auth is on, else the IP) already has BUN_INFER_JOBS_PER_CLIENT jobs queued or running; retry when one finishes.'
  },
  queue_full: {
    status: 429,
    description: "The model's queue holds BUN_INFER_MAX_QUEUE_IMAGES images; retry after the Retry-After header."
  },
  body_budget_full: {
    status: 429,
    description:
      'The server is already receiving as many body bytes as its memory budget allows (BUN_INFER_BODY_BUDGET_BYTES), or this client already holds its share of them (BUN_INFER_BODY_BUDGET_PER_CLIENT_BYTES); refused before the body is read, with Retry-After; the connection stays open while the server discards the rest of the body, so a client still sending reads the answer. 429, like queue_full: the server is healthy and shedding load, and a 503 would make load balancers take a healthy replica out of rotation.'
  },
  client_closed: {
    status: 499,
    description: 'The client hung up before the answer; only the logs and metrics see it, and its queued images are skipped.'
  },
  internal_error: { status: 500, description: 'A bug. Never carries a stack trace or a path.' },
  not_ready: { status: 503, description: 'Models are still loading; retry after the Retry-After header.' },
  draining: {
    status: 503,
    description: 'The server is shutting down and takes no new requests; retry (on another replica) after the Retry-After header.'
  },
  worker_lost: { status: 503, description: 'The inference worker running this batch died; it has been replaced. Retry.' },
  deadline_exceeded: {
    status: 504,
    description: 'The deadline (BUN_INFER_REQUEST_TIMEOUT_MS, or a shorter x-request-timeout-ms) passed before inference finished.'
  }
} as const satisfies Record<string, { status: number; description: string }>

export type ErrorCode = keyof typeof ERROR_CATALOGUE

/** An error a client is meant to see: thrown anywhere, serialised once by the error plugin. */
export class AppError extends Error {
  readonly status: number
  /** Seconds, sent as Retry-After (429/503). */
  readonly retryAfterSeconds?: number
  /** Extra response headers (e.g. WWW-Authenticate). */
  readonly headers?: Readonly<Record<string, string>>

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { retryAfterSeconds?: number; headers?: Record<string, string>; cause?: unknown } = {}
  ) {
    super(message, { cause: options.cause })
    this.name = 'AppError'
    this.status = ERROR_CATALOGUE[code].status
    this.retryAfterSeconds = options.retryAfterSeconds
    this.headers = options.headers
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; request_id: string }
}

/** The single JSON shape of every error response. */
export function toErrorBody(error: AppError, requestId: string): ErrorBody {
  return { error: { code: error.code, message: error.message, request_id: requestId } }
}
