import { AppError } from '../errors'

export const TIMEOUT_HEADER = 'x-request-timeout-ms'

/**
 * An abort signal that fires at the request deadline (504 deadline_exceeded) or when the client
 * goes away. A client header can only shorten the server's default, never extend it.
 */
export function requestDeadline(request: Request, defaultMs: number): { signal: AbortSignal; ms: number; dispose(): void } {
  const header = request.headers.get(TIMEOUT_HEADER)
  let ms = defaultMs
  if (header !== null) {
    if (!/^[0-9]{1,9}$/.test(header) || Number(header) < 1)
      throw new AppError('validation_failed', `${TIMEOUT_HEADER} must be a whole number of milliseconds ≥ 1`)
    ms = Math.min(defaultMs, Number(header))
  }
  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new AppError('deadline_exceeded', `the request did not finish within its ${ms} ms deadline`)),
    ms
  )
  const onClientGone = () => controller.abort(new AppError('client_closed', 'the client closed the connection'))
  request.signal.addEventListener('abort', onClientGone, { once: true })
  return {
    signal: controller.signal,
    ms,
    dispose() {
      clearTimeout(timer)
      request.signal.removeEventListener('abort', onClientGone)
    }
  }
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
