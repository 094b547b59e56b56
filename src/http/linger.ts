/**
 * Lingering close, as nginx's: a refusal answered while the client is still sending its body must not close the
 * socket under it. A client that writes its whole body before it reads the answer (Node's fetch, undici, among
 * them) then gets EPIPE instead of the answer: on Node, fetch reports "fetch failed" where the client should
 * see 429 with Retry-After.
 *
 * So an early refusal keeps its connection open. Once a handler has answered without reading the whole body,
 * Bun.serve reads and discards the rest itself, in native code (no JS chunk is made, so it costs no memory),
 * and keeps the connection alive. `lingerAfterRefusal` bounds that: it cuts the connection's idle timeout to
 * LINGER_SECONDS, after which Bun closes the socket even while bytes keep coming (its timer ticks in steps of a
 * few seconds, so it may take up to one tick more). A new request on the same connection gets the server's
 * usual idle timeout back. The bytes discarded are bounded by Bun's maxRequestBodySize (server.ts).
 *
 * An answer that must close its connection all the same (draining: keep-alive clients have to move on) reads and
 * drops the rest of the body itself first, within the same bounds (`discardBody`).
 */

/**
 * How long a refused request's connection may keep sending the rest of its body, seconds: as long as the default
 * body timeout, the time an accepted body of any size may take to arrive. A shorter one cuts off ordinary clients: dozens
 * of large uploads at once share the link, and each takes the time of all of them to finish sending.
 */
export const LINGER_SECONDS = 10

/** What lingerAfterRefusal needs of Bun's server. */
export interface ConnectionTimeouts {
  timeout(request: Request, seconds: number): void
}

/** Whether `request` came with a body that may still be arriving (a declared length above 0, or chunked). */
export function mayHaveBody(request: Request): boolean {
  if (request.headers.has('transfer-encoding')) return true
  const length = request.headers.get('content-length')
  return length !== null && length.trim() !== '0'
}

/**
 * After an error answer that keeps its connection: bounds how long Bun may go on discarding the rest of the body.
 * Nothing to do without a server (app.handle in tests) or a body.
 */
export function lingerAfterRefusal(server: ConnectionTimeouts | null | undefined, request: Request): void {
  if (!server || !mayHaveBody(request)) return
  try {
    server.timeout(request, LINGER_SECONDS)
  } catch {
    // The client has already gone: nothing is left to bound.
  }
}

/**
 * Reads and drops the rest of `request`'s body, up to `maxBytes` or `ms`, whichever comes first, so that an
 * answer which closes its connection finds the client done sending. Each chunk is dropped as it arrives.
 * Resolves with the bytes dropped.
 */
export async function discardBody(request: Request, maxBytes: number, ms: number): Promise<number> {
  if (!request.body || request.bodyUsed || !mayHaveBody(request)) return 0
  const reader = request.body.getReader()
  const stop = () => void reader.cancel().catch(() => {})
  const timer = setTimeout(stop, ms)
  let dropped = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      dropped += value.byteLength
      if (dropped >= maxBytes) break
    }
  } catch {
    // The client went away: nothing more will come.
  } finally {
    clearTimeout(timer)
    stop()
  }
  return dropped
}
