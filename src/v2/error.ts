import { AppError, type ErrorCode } from '../errors'

/**
 * A request the Open Inference Protocol answers with 400 (the spec's status for a bad inference request).
 * It is an AppError, so the one error path logs, counts and serialises it; on /v2 paths the body is the
 * spec's `{"error": "<message>"}` (see v2ErrorBody).
 */
export class V2Error extends AppError {
  constructor(message: string, code: ErrorCode = 'invalid_inference_request') {
    super(code, message)
  }
}

/** The spec's error body, `{"error": $string}` (KServe v2 required_api.md; tritonclient's _get_error reads `["error"]`). */
export const v2ErrorBody = (message: string) => ({ error: message })

/** Whether a request path belongs to the Open Inference Protocol, whose errors take the spec's shape. */
export const isV2Path = (pathname: string) => pathname === '/v2' || pathname.startsWith('/v2/')
