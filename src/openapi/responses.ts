import { ERROR_CATALOGUE, type ErrorCode } from '../errors'

/**
 * What every response can carry, documented once in components.headers and referenced per status,
 * and one example per error code under each error status, so a client sees which codes a status means.
 */
type Json = Record<string, unknown>

export const RESPONSE_HEADERS = {
  XRequestId: {
    description: 'The request id: a sane incoming x-request-id is kept, else a new UUID. Also in error bodies and logs.',
    schema: { type: 'string' }
  },
  Traceparent: {
    description: "W3C trace context of this request's span (only when tracing is on); child of an incoming traceparent.",
    schema: { type: 'string', examples: ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'] }
  },
  ServerTiming: {
    description: 'Milliseconds per stage: preprocess, queue, inference, and total (the handler, body read included).',
    schema: { type: 'string', examples: ['decode-wait;dur=0.01, preprocess;dur=6.8, queue;dur=0.04, inference;dur=8.5, total;dur=16.2'] }
  },
  RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0, examples: [1] } },
  WWWAuthenticate: { description: 'The auth scheme to use: Bearer.', schema: { type: 'string', examples: ['Bearer realm="bun-infer"'] } },
  Allow: { description: 'The methods this path answers.', schema: { type: 'string', examples: ['POST'] } }
} as const

const ref = (name: keyof typeof RESPONSE_HEADERS) => ({ $ref: `#/components/headers/${name}` })

/** Header names (as sent) per response: every response, then by status, then predict successes. */
function headersFor(status: number, isPredict: boolean): Json {
  const headers: Json = { 'x-request-id': ref('XRequestId'), traceparent: ref('Traceparent') }
  if (status === 200 && isPredict) headers['Server-Timing'] = ref('ServerTiming')
  if (status === 429 || status === 503) headers['Retry-After'] = ref('RetryAfter')
  if (status === 401) headers['WWW-Authenticate'] = ref('WWWAuthenticate')
  if (status === 405) headers.Allow = ref('Allow')
  return headers
}

const codesWithStatus = (status: number) =>
  (Object.entries(ERROR_CATALOGUE) as Array<[ErrorCode, { status: number; description: string }]>).filter(
    ([, entry]) => entry.status === status
  )

/** One named example per error code that this status can carry. */
function errorExamples(status: number): Json {
  return Object.fromEntries(
    codesWithStatus(status).map(([code, { description }]) => [
      code,
      { summary: description, value: { error: { code, message: description, request_id: '5b0e7a1c-3f7e-4d0a-9a51-0c9f3e1d2b44' } } }
    ])
  )
}

/** Adds headers to every response and examples plus a precise description to every error response. */
export function documentResponses(paths: Json): void {
  for (const [path, item] of Object.entries(paths)) {
    for (const operation of Object.values(item as Json)) {
      const responses = (operation as Json).responses as Record<string, Json> | undefined
      for (const [statusText, response] of Object.entries(responses ?? {})) {
        const status = Number(statusText)
        response.headers = { ...(response.headers as Json | undefined), ...headersFor(status, path.endsWith('/predict')) }
        const json = (response.content as Json | undefined)?.['application/json'] as Json | undefined
        if (status < 400 || !json || codesWithStatus(status).length === 0) continue
        json.examples = errorExamples(status)
        response.description = codesWithStatus(status)
          .map(([code]) => `\`${code}\``)
          .join(', ')
      }
    }
  }
}
