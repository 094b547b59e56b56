/**
 * The one catalogue of errors the API can return. Every error a client sees has a stable `code`
 * from this table, the HTTP status that goes with it, and a human message. The README documents
 * every code (a test fails if one is missing).
 */
export const ERROR_CATALOGUE = {
  malformed_request: { status: 400, description: 'The body could not be parsed (bad JSON, bad multipart, bad base64).' },
  invalid_inference_request: {
    status: 400,
    description:
      'A /v2 inference request that parses but does not fit the model: unknown input or output, wrong datatype, shape or element count.'
  },
  repository_refused: {
    status: 400,
    description: 'A repository extension request that cannot be done: a model that does not load, or unloading the default model.'
  },
  invalid_image: { status: 400, description: 'The bytes look like a supported format but could not be decoded (truncated or corrupt).' },
  unauthorized: {
    status: 401,
    description: 'API keys are on and the request has none, or a wrong one (Authorization: Bearer, or x-api-key).'
  },
  not_found: { status: 404, description: 'No such route.' },
  model_not_found: { status: 404, description: 'No model with that name is loaded.' },
  body_timeout: { status: 408, description: 'The request body did not arrive in time (a slow or stalled client).' },
  model_version_not_found: { status: 404, description: 'The model exists but not that version.' },
  method_not_allowed: { status: 405, description: 'The route exists but not for this method.' },
  payload_too_large: {
    status: 413,
    description:
      'The request body is over the body limit, or its JSON holds more strings, arrays or elements than any valid request (refused before parsing).'
  },
  image_too_large: {
    status: 413,
    description: 'One image is over the per-image byte limit, the pixel limit, the progressive JPEG pixel limit or the JPEG scan limit.'
  },
  too_many_images: { status: 413, description: 'More images in one request than allowed.' },
  unsupported_media_type: { status: 415, description: 'Content-Type is neither multipart/form-data nor application/json.' },
  unsupported_image_format: { status: 415, description: 'The image is not JPEG, PNG, WebP, GIF, AVIF or TIFF.' },
  validation_failed: { status: 422, description: 'The body parsed but does not match the schema (missing image, bad top_k, …).' },
  rate_limited: {
    status: 429,
    description:
      'This client (a verified API key when auth is on, else the IP) is over its request rate; retry after the Retry-After header.'
  },
  too_many_in_flight: {
    status: 429,
    description:
      'This client (a verified API key when auth is on, else the IP) already has its share of requests in flight; retry after the Retry-After header.'
  },
  queue_full: { status: 429, description: 'The model queue is full; retry after the Retry-After header.' },
  body_budget_full: {
    status: 429,
    description:
      'The server is already receiving as many body bytes as its memory budget allows (BUN_INFER_BODY_BUDGET_BYTES), or this client already holds its share of them (BUN_INFER_BODY_BUDGET_PER_CLIENT_BYTES); refused before the body is read, with Retry-After; the connection stays open while the server discards the rest of the body, so a client still sending reads the answer. 429, like queue_full: the server is healthy and shedding load, and a 503 would make load balancers take a healthy replica out of rotation.'
  },
  client_closed: { status: 499, description: 'The client went away before the answer (logged and counted; nobody receives it).' },
  internal_error: { status: 500, description: 'A bug. Never carries a stack trace or a path.' },
  not_ready: { status: 503, description: 'Models are still loading.' },
  draining: { status: 503, description: 'The server is shutting down and takes no new requests.' },
  worker_lost: { status: 503, description: 'The inference worker running this request died; it has been replaced. Retry.' },
  deadline_exceeded: { status: 504, description: 'The request deadline passed before inference finished.' }
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
