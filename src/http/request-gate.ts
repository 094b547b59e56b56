import type { Registry } from 'prom-client'
import type { Config } from '../config/schema'
import { AppError } from '../errors'
import type { Lifecycle } from '../lifecycle'
import { registerBodyBudgetMetrics } from '../metrics/body-budget'
import { type ByteBudget, createBodyBudget, type Reservation } from './byte-budget'
import { clientId } from './client-id'
import { ClientShare } from './client-share'
import { requestDeadline, unlessAborted } from './deadline'
import { discardBody, LINGER_SECONDS } from './linger'
import { admitBody } from './read-body'
import { TrustedProxies } from './trusted-proxies'

/** What a handler gets once its request is admitted; everything is given back when the handler settles. */
export interface AdmittedRequest {
  /** Fires at the request deadline (504) or when the client goes away. */
  signal: AbortSignal
  /** The body's room in the byte budget; release it as soon as the encoded bytes are no longer needed. */
  body: Reservation
  /** performance.now() before the body was read (Server-Timing's total). */
  startedAt: number
  /** Runs `read` (the body read and parse) within the body timeout (408) and the deadline, whichever comes first. */
  readBody<T>(read: (signal: AbortSignal) => Promise<T>): Promise<T>
  /** Who the request is from, as the per-client limits name it (client-id.ts); worked out once, when first asked. */
  client(): string
}

/**
 * The door every inference request goes through, /v1 and /v2 alike: 503 while loading or draining, the caller's
 * early checks (404, queue full), the deadline, the client's share of requests in flight, the in-flight count
 * and the room for its body in the one byte budget. One gate per app, so a body and a client count once
 * whichever API they use.
 */
export class RequestGate {
  readonly bodyBudget: ByteBudget
  readonly proxies: TrustedProxies
  private readonly share: ClientShare

  constructor(
    private readonly config: Readonly<Config>,
    private readonly lifecycle: Lifecycle,
    registry?: Registry
  ) {
    this.bodyBudget = createBodyBudget(config, () => lifecycle.active)
    this.proxies = new TrustedProxies(config.trustedProxies)
    this.share = new ClientShare(config.maxInFlightPerClient)
    if (registry) registerBodyBudgetMetrics(registry, this.bodyBudget)
  }

  /** Admits the request (or throws the AppError that refuses it), runs `handler`, then gives everything back. */
  async run<T>(
    request: Request,
    /** The peer's address; asked only when a per-client cap needs the client's identity. */
    ip: () => string | undefined,
    earlyChecks: () => void,
    handler: (admitted: AdmittedRequest) => Promise<T>
  ): Promise<T> {
    const { config, lifecycle } = this
    if (lifecycle.state === 'draining') {
      // This answer closes its connection (keep-alive clients must move on), so the client must be done sending first.
      await discardBody(request, config.maxBodyBytes, LINGER_SECONDS * 1000)
      throw new AppError('draining', 'the server is shutting down', { retryAfterSeconds: 1, headers: { connection: 'close' } })
    }
    if (lifecycle.state !== 'ready') throw new AppError('not_ready', 'models are still loading', { retryAfterSeconds: 1 })
    earlyChecks() // 404 and 429 before the body is read
    const deadline = requestDeadline(request, config.requestTimeoutMs)
    // Worked out once, and only if a per-client cap (requests in flight, body bytes) asks for it.
    let client: string | undefined
    const clientOf = () => (client ??= clientId(request, ip(), this.proxies))
    let leave: () => void
    try {
      leave = this.share.enter(clientOf)
    } catch (error) {
      deadline.dispose()
      throw error
    }
    const startedAt = performance.now()
    lifecycle.begin()
    // Everything taken above (deadline timer, client share, in-flight count) and the body's room go back in finally.
    let body: Reservation | undefined
    try {
      // 429 before a byte is read; the client is named only when the budget keeps a share per client.
      body = admitBody(this.bodyBudget, request, config.maxBodyBytes, this.bodyBudget.sharesByClient ? clientOf() : undefined)
      const readBody = <R>(read: (signal: AbortSignal) => Promise<R>) => this.withinBodyTimeout(deadline.signal, read)
      return await handler({ signal: deadline.signal, body, startedAt, readBody, client: clientOf })
    } finally {
      body?.release()
      deadline.dispose()
      leave()
      lifecycle.end()
    }
  }

  private async withinBodyTimeout<R>(deadline: AbortSignal, read: (signal: AbortSignal) => Promise<R>): Promise<R> {
    const { bodyTimeoutMs } = this.config
    const controller = new AbortController()
    const timer = setTimeout(
      // Connection: close, as RFC 9110 asks after a 408: a stalled client must not keep its socket.
      () =>
        controller.abort(
          new AppError('body_timeout', `the body did not arrive within ${bodyTimeoutMs} ms`, { headers: { connection: 'close' } })
        ),
      bodyTimeoutMs
    )
    const signal = AbortSignal.any([controller.signal, deadline])
    try {
      return await unlessAborted(read(signal), signal)
    } finally {
      clearTimeout(timer)
    }
  }
}
