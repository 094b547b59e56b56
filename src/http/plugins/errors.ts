import { Elysia } from 'elysia'
import { AppError, toErrorBody } from '../../errors'
import type { Logger } from '../../log'
import { requestIdOf } from '../request-id'

/** Maps Elysia's own errors (routing, validation, parsing) onto our catalogue. */
function toAppError(code: string | number, error: unknown): AppError {
  if (error instanceof AppError) return error
  switch (code) {
    case 'NOT_FOUND':
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

/** The one error path: every error is logged, then serialised as { error: { code, message, request_id } }. */
export function errorPlugin(log: Logger) {
  return new Elysia({ name: 'errors' }).onError({ as: 'global' }, ({ code, error, request }) => {
    const requestId = requestIdOf(request)
    const appError = toAppError(code, error)
    if (appError.status >= 500 && appError.code === 'internal_error')
      log.error('unhandled error', { request_id: requestId, error: String((error as Error)?.stack ?? error) })
    const headers: Record<string, string> = { ...appError.headers, 'content-type': 'application/json', 'x-request-id': requestId }
    if (appError.retryAfterSeconds !== undefined) headers['retry-after'] = String(appError.retryAfterSeconds)
    return new Response(JSON.stringify(toErrorBody(appError, requestId)), { status: appError.status, headers })
  })
}
