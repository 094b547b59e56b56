import { AppError } from '../errors'

/**
 * Caps the predict requests one client has in flight (reading its body, decoding, queued or running), so a
 * client that opens many slow or stalled requests holds no more than its share of the server. The client is
 * clientId's: a verified API key, else the IP, so a made-up key buys no second share.
 */
export class ClientShare {
  private readonly inFlight = new Map<string, number>()

  constructor(private readonly maxPerClient: number) {}

  /**
   * Counts a request in, or throws 429 too_many_in_flight; call the returned function when it ends. `clientOf` is
   * asked only when there is a cap: without one (the default) no request's identity is worked out.
   */
  enter(clientOf: () => string): () => void {
    if (this.maxPerClient <= 0) return () => {}
    const client = clientOf()
    const count = this.inFlight.get(client) ?? 0
    if (count >= this.maxPerClient)
      throw new AppError('too_many_in_flight', `this client already has ${count} requests in flight; the limit is ${this.maxPerClient}`, {
        retryAfterSeconds: 1
      })
    this.inFlight.set(client, count + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (this.inFlight.get(client) ?? 1) - 1
      if (left === 0) this.inFlight.delete(client)
      else this.inFlight.set(client, left)
    }
  }
}
