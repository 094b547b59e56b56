import { AppError } from '../errors'
import { budgetFull, type ByteBudget, type Reservation } from './byte-budget'

/**
 * Content-Length when it can be trusted: a plain decimal and no Transfer-Encoding (RFC 9112 §6.3: with
 * both, Transfer-Encoding wins and the length means nothing). Undefined otherwise.
 */
export function declaredLength(request: Request): number | undefined {
  if (request.headers.has('transfer-encoding')) return undefined
  const raw = request.headers.get('content-length')
  return raw !== null && /^[0-9]{1,15}$/.test(raw.trim()) ? Number(raw) : undefined
}

/**
 * Reserves a request's declared body (Content-Length without Transfer-Encoding) for `client` before a byte of
 * it is read; throws 429 body_budget_full when it does not fit (or its client holds its share). A chunked body
 * starts at 0 and grows as it is read. A body over `maxBodyBytes` reserves nothing: the reader refuses it with
 * 413 before reading.
 */
export function admitBody(budget: ByteBudget, request: Request, maxBodyBytes: number, client?: string): Reservation {
  const length = declaredLength(request)
  const admitted = budget.admit(length !== undefined && length <= maxBodyBytes ? length : 0, client)
  if (typeof admitted === 'string') throw budgetFull(length, admitted)
  return admitted
}

/**
 * Reads the body within `limit` bytes. With a trusted Content-Length the bytes go straight into one
 * buffer of that size (no list of chunks and no concatenation: one copy of the body, not two); without
 * one (chunked) they are counted as they stream in, and each chunk must also fit in `reservation`, the
 * request's share of the global body budget (429 body_budget_full when not; Bun discards the rest, linger.ts).
 */
export async function readBodyLimited(
  request: Request,
  limit: number,
  signal?: AbortSignal,
  reservation?: Reservation
): Promise<Uint8Array> {
  const header = request.headers.get('content-length')
  if (header !== null && Number(header) > limit)
    // No Connection: close: Bun discards the unread body for a bounded time, so a client still sending reads this answer (linger.ts).
    throw new AppError('payload_too_large', `body is ${header} bytes; the limit is ${limit}`)
  if (!request.body) return new Uint8Array(0)
  const reader = request.body.getReader()
  // A client trickling its body must not hold the request (and its memory) forever: on abort, stop reading.
  const stop = () => void reader.cancel().catch(() => {})
  signal?.addEventListener('abort', stop, { once: true })
  try {
    const length = declaredLength(request)
    return length !== undefined ? await readDeclared(reader, length, signal) : await readCounted(reader, limit, signal, reservation)
  } finally {
    signal?.removeEventListener('abort', stop)
  }
}

async function readDeclared(reader: ReadableStreamDefaultReader<Uint8Array>, length: number, signal?: AbortSignal): Promise<Uint8Array> {
  let body: Uint8Array | undefined
  let offset = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (signal?.aborted) throw signal.reason
    if (done) break
    // The whole body in one chunk (small bodies usually are): keep it as it is, no copy at all.
    if (offset === 0 && value.byteLength === length) {
      body = value
      offset = length
      continue
    }
    if (offset + value.byteLength > length) {
      await reader.cancel().catch(() => {})
      throw new AppError('malformed_request', `the body is longer than its Content-Length (${length})`)
    }
    body ??= new Uint8Array(length)
    body.set(value, offset)
    offset += value.byteLength
  }
  return (body ?? new Uint8Array(0)).subarray(0, offset)
}

/** Reads a stream of unknown length within `limit` bytes, each chunk also taken from `reservation` (429 when it does not fit). */
export async function readCounted(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  limit: number,
  signal?: AbortSignal,
  reservation?: Reservation
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (signal?.aborted) throw signal.reason
    if (done) break
    total += value.byteLength
    if (total > limit || (reservation && !reservation.grow(value.byteLength))) {
      await reader.cancel().catch(() => {})
      throw total > limit
        ? new AppError('payload_too_large', `body is over the limit of ${limit} bytes`)
        : budgetFull(undefined, reservation?.refusal)
    }
    chunks.push(value)
  }
  return concat(chunks, total)
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const body = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}
