/**
 * One client's share of the body budget. A body is reserved whole, at its declared length, before it is read
 * (byte-budget.ts), so a client that declares large bodies and then trickles them holds that room until its
 * body timeout: a few dozen such uploads could hold the whole budget, and every other client would get 429.
 *
 * Within its share a client may use any room the budget has. Beyond it, only room that still leaves one share
 * free for everyone else: a client alone on the server can still use most of the budget, and a client trickling
 * large bodies cannot starve the others. Clients are told apart as the rate limit tells them (client-id.ts), so
 * behind a proxy that is not trusted every request is one client and the share only keeps room nobody else uses.
 *
 * Chosen over reservations that follow the bytes as they arrive. Those stop trickling uploads from holding room
 * whatever their address, but they refuse only once the bytes no longer fit: concurrent large uploads are all
 * admitted and most are then refused part-way, seconds later, after sending much of their body, where the
 * declared reservation refuses them at once. They also need the body read without its buffer of declared size.
 */

/** Body bytes each client holds in the budget now; a client holding none has no entry. */
export class ClientBytes {
  private readonly held = new Map<string, number>()

  constructor(readonly shareBytes: number) {}

  /** What the budget's bytes in use may reach when `client` takes `n` more, out of `limit`. */
  roomFor(client: string | undefined, n: number, limit: number): number {
    if (client === undefined || (this.held.get(client) ?? 0) + n <= this.shareBytes) return limit
    return limit - this.shareBytes
  }

  add(client: string | undefined, n: number): void {
    if (client !== undefined && n > 0) this.held.set(client, (this.held.get(client) ?? 0) + n)
  }

  remove(client: string | undefined, n: number): void {
    if (client === undefined || n === 0) return
    const left = (this.held.get(client) ?? 0) - n
    if (left < 0) throw new Error(`client ${client} released more body bytes than it reserved (${left})`)
    if (left === 0) this.held.delete(client)
    else this.held.set(client, left)
  }

  /** Clients holding bytes now (for tests). */
  get clients(): number {
    return this.held.size
  }
}
