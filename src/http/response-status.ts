import { StatusMap } from 'elysia'

/**
 * The status a client actually got. Elysia's after-response hook sees `set.status`, which stays 200
 * when the error plugin answers with a Response of its own (404, 405, 429…), so the error plugin
 * records the status it sent here and the metrics and request log read it back.
 */
const sent = new WeakMap<Request, number>()

/** Called by the error plugin with the status of the Response it built. */
export function recordErrorStatus(request: Request, status: number): void {
  sent.set(request, status)
}

/** The status of the response to `request`: an error's, else a handler's own Response's, else `set.status`. */
export function responseStatus(request: Request, responseValue: unknown, setStatus: number | string | undefined): number {
  const fromError = sent.get(request)
  if (fromError !== undefined) return fromError
  if (responseValue instanceof Response) return responseValue.status
  if (typeof setStatus === 'string') return StatusMap[setStatus as keyof typeof StatusMap] ?? 500
  return setStatus ?? 200
}
