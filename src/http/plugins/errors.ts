import { Elysia } from 'elysia'
import { AppError, toErrorBody } from '../../errors'
import type { Logger } from '../../log'
import type { AllowedMethods } from '../allowed-methods'
import { lingerAfterRefusal } from '../linger'
import { requestIdOf } from '../request-id'
import { recordErrorStatus } from '../response-status'
import { isV2Path, v2ErrorBody } from '../../v2/error'

/** Maps Elysia's own errors (routing, validation, parsing) onto our catalogue. */
function toAppError(code: string | number, error: unknown, allowed: readonly string[]): AppError {
  if (error instanceof AppError) return error
  switch (code) {
    case 'NOT_FOUND':
      if (allowed.length > 0)
        return new AppError('method_not_allowed', `this path answers ${allowed.join(', ')} only`, {
          headers: { allow: allowed.join(', ') }
        })
      return new AppError('not_found', 'no such route')
    case 'VALIDATION':
      return new AppError('validation_failed', firstValidationMessage(error))
    case 'PARSE':
      return new AppError('malformed_request', 'the body could not be parsed')
    default:
      return new AppError('internal_error', 'internal error')
  }
}

function firstValidationMessage(error: unknown): string {
  const all = (error as { all?: Array<{ path?: string; message?: string; summary?: string }> }).all
  const first = Array.isArray(all) ? all[0] : undefined
  return first ? `${first.path || 'request'}: ${first.summary ?? first.message}` : 'request does not match the schema'
}

/**
 * The one error path: every error is logged, then serialised as { error: { code, message, request_id } }.
 * `allowedMethods` turns a miss on a known path into 405 with `Allow`; `traceIdOf` adds trace_id to the log.
 */
export function errorPlugin(log: Logger, allowedMethods?: AllowedMethods, traceIdOf?: (request: Request) => string | undefined) {
  return new Elysia({ name: 'errors' }).onError({ as: 'global' }, ({ code, error, request, path, server }) => {
    const requestId = requestIdOf(request)
    const appError = toAppError(code, error, code === 'NOT_FOUND' ? (allowedMethods?.for(path) ?? []) : [])
    if (appError.status >= 500 && appError.code === 'internal_error')
      log.error('unhandled error', {
        request_id: requestId,
        trace_id: traceIdOf?.(request),
        error: String((error as Error)?.stack ?? error)
      })
    const headers: Record<string, string> = { ...appError.headers, 'content-type': 'application/json', 'x-request-id': requestId }
    if (appError.retryAfterSeconds !== undefined) headers['retry-after'] = String(appError.retryAfterSeconds)
    recordErrorStatus(request, appError.status)
    // An answer that keeps its connection lets Bun discard a body still on its way, for a bounded time (linger.ts).
    if (headers.connection !== 'close') lingerAfterRefusal(server, request)
    // The Open Inference Protocol has its own error shape, {"error": "<message>"}: clients such as tritonclient read it.
    const body = isV2Path(new URL(request.url).pathname) ? v2ErrorBody(appError.message) : toErrorBody(appError, requestId)
    return new Response(JSON.stringify(body), { status: appError.status, headers })
  })
}
