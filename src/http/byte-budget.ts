import { AppError } from '../errors'
import { Reclaimer } from '../memory/reclaimer'
import { largeBodyLimit, resolveBodyBudget, resolveClientShare, SMALL_BODY_BYTES } from './budget-size'
import { ClientBytes } from './client-bytes'

const MiB = 1024 * 1024

/** Told about every reservation and release (the reclaimer listens). */
export interface BudgetObserver {
  reserved(usedAfter: number): void
  released(bytes: number, usedAfter: number): void
}

/** What a request leaves for the collector besides its body: a 224×224 crop (150 KB) and its copy in a batch buffer. */
export const REQUEST_GARBAGE_BYTES = 300 * 1024
/**
 * Requests in flight from which a full collection's pause is cheap: with 2 workers running batches of 8, the
 * 17th request in flight already waits a whole batch for its turn, longer than the pause.
 */
export const BUSY_IN_FLIGHT = 16

/**
 * The route's budget: the resolved size, one client's share of it (client-bytes.ts), and its reclaimer: a
 * collection each time a quarter of it was left as garbage (bodies, plus 300 KB per request), full when the
 * server is busy or the bytes were mostly bodies over 8 MiB, asynchronous otherwise; and after a large body a
 * full one once less than 4 MiB (a few ordinary photos) has been in flight for 1 s. `inFlight`: requests in flight now.
 */
export function createBodyBudget(
  config: Parameters<typeof resolveBodyBudget>[0] & { maxImageBytes: number; bodyBudgetPerClientBytes?: number },
  inFlight: () => number = () => 0
): ByteBudget {
  const bytes = resolveBodyBudget(config).bytes
  const reclaimer = new Reclaimer({
    nudgeEveryBytes: Math.floor(bytes / 4),
    requestGarbageBytes: REQUEST_GARBAGE_BYTES,
    busy: () => inFlight() >= BUSY_IN_FLIGHT,
    largeBodyBytes: SMALL_BODY_BYTES,
    hugeBodyBytes: 8 * MiB,
    quietMs: 1000,
    quietBelowBytes: 4 * SMALL_BODY_BYTES
  })
  return new ByteBudget(bytes, config.maxBodyBytes, reclaimer, resolveClientShare(config, bytes))
}

/** Why a reservation was refused: the budget has no room, or its client holds its share and the rest is kept for others. */
export type Refusal = 'budget' | 'client_share'

/** One request's hold on the budget: grows as its body arrives, released once (later calls do nothing). */
export class Reservation {
  private held = 0
  private released = false
  /** Why the last grow was refused. */
  refusal?: Refusal

  constructor(
    private readonly budget: ByteBudget,
    /** Who holds it (client-id.ts); undefined when the budget has no per-client share. */
    readonly client?: string
  ) {}

  get bytes(): number {
    return this.held
  }

  /** Takes `n` more bytes; false (nothing taken, `refusal` says why) when they do not fit. */
  grow(n: number): boolean {
    this.refusal = this.released ? 'budget' : this.budget.take(this.held, n, this.client)
    if (this.refusal) return false
    this.held += n
    return true
  }

  /** Gives the bytes back; safe to call from several places (decoded, failed, finally). */
  readonly release = (): void => {
    if (this.released) return
    this.released = true
    this.budget.give(this.held, this.client)
    this.held = 0
  }
}

/**
 * A global budget for request-body bytes in flight, across all requests: a body is reserved before it
 * is read (or chunk by chunk while it streams) and released once its images are decoded or the request
 * ends. Pure bookkeeping, no I/O: tested without sockets.
 */
export class ByteBudget {
  private used = 0
  /** Reservations (or chunks of one) refused so far, for /metrics. */
  refusals = 0
  /** Of those, refused because their client held its share. */
  clientShareRefusals = 0
  /** What bodies over SMALL_BODY_BYTES may bring `used` up to; the rest is kept for small bodies. */
  readonly largeLimitBytes: number
  private readonly clients: ClientBytes

  constructor(
    readonly totalBytes: number,
    maxBodyBytes: number = totalBytes,
    private readonly observer?: BudgetObserver,
    /** Bytes one client may hold before it may only use room that leaves this much for others (client-bytes.ts); default: no share. */
    clientShareBytes: number = totalBytes
  ) {
    // The small-body share never shrinks the room for one largest body (a budget at its floor keeps none).
    this.largeLimitBytes = largeBodyLimit(totalBytes, maxBodyBytes)
    this.clients = new ClientBytes(Math.min(clientShareBytes, totalBytes))
  }

  get usedBytes(): number {
    return this.used
  }

  /** One client's share (the whole budget when there is none). */
  get clientShareBytes(): number {
    return this.clients.shareBytes
  }

  /** Whether reservations need their client's identity: only when a share is smaller than the budget. */
  get sharesByClient(): boolean {
    return this.clients.shareBytes < this.totalBytes
  }

  /** A reservation of `bytes` (the declared Content-Length; 0 when unknown) for `client`, or why it was refused. */
  admit(bytes: number, client?: string): Reservation | Refusal {
    const reservation = new Reservation(this, this.sharesByClient ? client : undefined)
    return reservation.grow(bytes) ? reservation : reservation.refusal!
  }

  /** admit(), with undefined for a refusal. */
  reserve(bytes: number, client?: string): Reservation | undefined {
    const admitted = this.admit(bytes, client)
    return typeof admitted === 'string' ? undefined : admitted
  }

  /** @internal for Reservation: whether a reservation holding `held` may take `n` more, and takes them if so. */
  take(held: number, n: number, client: string | undefined): Refusal | undefined {
    const refusal = this.refusalOf(held, n, client)
    if (refusal) {
      this.refusals++
      if (refusal === 'client_share') this.clientShareRefusals++
      return refusal
    }
    this.used += n
    this.clients.add(client, n)
    this.observer?.reserved(this.used)
    return undefined
  }

  private refusalOf(held: number, n: number, client: string | undefined): Refusal | undefined {
    const limit = held + n > SMALL_BODY_BYTES ? this.largeLimitBytes : this.totalBytes
    if (this.used + n > limit) return 'budget'
    if (this.used + n > this.clients.roomFor(client, n, limit)) return 'client_share'
    return undefined
  }

  /** @internal for Reservation. */
  give(n: number, client: string | undefined): void {
    this.used -= n
    if (this.used < 0) throw new Error(`byte budget released more than it reserved (used ${this.used})`)
    this.clients.remove(client, n)
    this.observer?.released(n, this.used)
  }
}

/**
 * The 429 for a body that does not fit, before any of it is read (or, chunked, as soon as a chunk does not fit).
 * The connection stays open while Bun discards the rest of the body for a bounded time (linger.ts), so a client
 * still sending reads the answer.
 */
export function budgetFull(bytes: number | undefined, refusal: Refusal = 'budget'): AppError {
  const what = bytes === undefined ? 'this chunked body' : `a body of ${bytes} bytes`
  const why =
    refusal === 'client_share'
      ? `this client already holds its share of the body bytes in flight, so the server keeps the rest for others and cannot take ${what}`
      : `the server is receiving too many bytes at once to take ${what}`
  return new AppError('body_budget_full', `${why}; retry after the Retry-After header`, { retryAfterSeconds: 1 })
}
