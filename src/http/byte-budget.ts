import { AppError } from '../errors'
import { memoryLimit, type MemoryLimit } from '../config/memory-limit'
import { Reclaimer } from '../memory/reclaimer'

const MiB = 1024 * 1024

/**
 * The derived default budget is an eighth of the memory the process may use: a body byte costs up to
 * about 3 bytes while it is parsed (JSON text, the parsed string, the decoded image), plus garbage the
 * collector has not taken yet, so the budget's worst case is about half the memory; the other half is the
 * base process (≈ 170 MB), the workers' sessions and the queue. Capped at 96 MiB: under the memory flood
 * (bench/reliability/memory-flood.ts) peak RSS grows with the budget (456–464 MB at 128 MiB before the
 * reclaimer's full collections, 310 MB at 96 MiB with them), and more bytes in flight add no throughput
 * (a few 30 MB bodies at once already keep two cores busy parsing).
 */
export const BUDGET_MEMORY_FRACTION = 1 / 8
export const BUDGET_CAP_BYTES = 96 * MiB
/** Bodies up to this size are "small" (every photo a camera takes): they alone may use the small-body share. */
export const SMALL_BODY_BYTES = 1 * MiB
/** The share of the budget only small bodies may use, so a flood of large bodies cannot starve ordinary photos. */
export const SMALL_BODY_SHARE = 1 / 4

export interface ResolvedBudget {
  bytes: number
  /** Set when the budget was derived (setting 0) rather than configured. */
  derivedFrom?: MemoryLimit
}

/** The smallest budget that still admits one largest body beside the small-body share. */
export const budgetFloor = (maxBodyBytes: number) => Math.ceil(maxBodyBytes / (1 - SMALL_BODY_SHARE))

/** bodyBudgetBytes, or for 0 the derived default: clamp(memory / 8, floor, 96 MiB), never below the floor. */
export function resolveBodyBudget(
  config: { bodyBudgetBytes: number; maxBodyBytes: number },
  limit: () => MemoryLimit = memoryLimit
): ResolvedBudget {
  if (config.bodyBudgetBytes > 0) {
    if (config.bodyBudgetBytes < config.maxBodyBytes)
      throw new Error(
        `invalid config BUN_INFER_BODY_BUDGET_BYTES=${config.bodyBudgetBytes}: below BUN_INFER_MAX_BODY_BYTES=${config.maxBodyBytes}, so a largest body could never be read`
      )
    return { bytes: config.bodyBudgetBytes }
  }
  const memory = limit()
  const derived = Math.min(BUDGET_CAP_BYTES, Math.floor(memory.bytes * BUDGET_MEMORY_FRACTION))
  return { bytes: Math.max(budgetFloor(config.maxBodyBytes), derived), derivedFrom: memory }
}

/** Where the budget came from, for the startup log: "BUN_INFER_BODY_BUDGET_BYTES" or e.g. "max(min(cgroup v2 536870912 / 8, 96 MiB), max body × 4/3)". */
export function describeBudget(budget: ResolvedBudget): string {
  const from = budget.derivedFrom
  return from ? `max(min(${from.source} ${from.bytes} / 8, ${BUDGET_CAP_BYTES / MiB} MiB), max body × 4/3)` : 'BUN_INFER_BODY_BUDGET_BYTES'
}

/** Told about every reservation and release (the reclaimer listens). */
export interface BudgetObserver {
  reserved(usedAfter: number): void
  released(bytes: number, usedAfter: number): void
}

/** What a request leaves for the collector besides its body: a 224×224 crop (150 KB) and its copy in a batch buffer. */
export const REQUEST_GARBAGE_BYTES = 300 * 1024
/**
 * Requests in flight from which a collection's pause (30–70 ms at 256 connections) is cheap: with 2 workers
 * running batches of 8, the 17th request in flight already waits a batch (≈ 100 ms here) for its turn.
 */
export const BUSY_IN_FLIGHT = 16

/**
 * The route's budget: the resolved size, and its reclaimer: a collection each time a quarter of it was left
 * as garbage (bodies, plus 300 KB per request), full when the server is busy or the bytes were mostly bodies
 * over 8 MiB, asynchronous otherwise; and after a large body a full one once less than 4 MiB (a few ordinary
 * photos) has been in flight for 1 s. `inFlight`: requests in flight now.
 */
export function createBodyBudget(config: { bodyBudgetBytes: number; maxBodyBytes: number }, inFlight: () => number = () => 0): ByteBudget {
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
  return new ByteBudget(bytes, config.maxBodyBytes, reclaimer)
}

/** One request's hold on the budget: grows as its body arrives, released once (later calls do nothing). */
export class Reservation {
  private held = 0
  private released = false

  constructor(private readonly budget: ByteBudget) {}

  get bytes(): number {
    return this.held
  }

  /** Takes `n` more bytes; false (and nothing taken) when they do not fit. */
  grow(n: number): boolean {
    if (this.released || !this.budget.take(this.held, n)) return false
    this.held += n
    return true
  }

  /** Gives the bytes back; safe to call from several places (decoded, failed, finally). */
  readonly release = (): void => {
    if (this.released) return
    this.released = true
    this.budget.give(this.held)
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
  /** What bodies over SMALL_BODY_BYTES may bring `used` up to; the rest is kept for small bodies. */
  readonly largeLimitBytes: number

  constructor(
    readonly totalBytes: number,
    maxBodyBytes: number = totalBytes,
    private readonly observer?: BudgetObserver
  ) {
    // The small-body share never shrinks the room for one largest body (a budget at its floor keeps none).
    this.largeLimitBytes = Math.max(Math.min(totalBytes, maxBodyBytes), Math.floor(totalBytes * (1 - SMALL_BODY_SHARE)))
  }

  get usedBytes(): number {
    return this.used
  }

  /** A reservation of `bytes` (the declared Content-Length; 0 when unknown), or undefined when they do not fit. */
  reserve(bytes: number): Reservation | undefined {
    const reservation = new Reservation(this)
    return reservation.grow(bytes) ? reservation : undefined
  }

  /** @internal for Reservation: whether a reservation holding `held` may take `n` more, and takes them if so. */
  take(held: number, n: number): boolean {
    const limit = held + n > SMALL_BODY_BYTES ? this.largeLimitBytes : this.totalBytes
    if (this.used + n > limit) {
      this.refusals++
      return false
    }
    this.used += n
    this.observer?.reserved(this.used)
    return true
  }

  /** @internal for Reservation. */
  give(n: number): void {
    this.used -= n
    if (this.used < 0) throw new Error(`byte budget released more than it reserved (used ${this.used})`)
    this.observer?.released(n, this.used)
  }
}

/** The 429 for a body that does not fit: before any of it is read, and the connection closes so the client stops sending. */
export function budgetFull(bytes: number | undefined): AppError {
  const what = bytes === undefined ? 'this chunked body' : `a body of ${bytes} bytes`
  return new AppError(
    'body_budget_full',
    `the server is receiving too many bytes at once to take ${what}; retry after the Retry-After header`,
    {
      retryAfterSeconds: 1,
      headers: { connection: 'close' }
    }
  )
}
