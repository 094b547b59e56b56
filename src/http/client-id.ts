import type { TrustedProxies } from './trusted-proxies'

/**
 * The identity of each request whose API key the auth plugin verified. Keyed by the Request itself, so an entry
 * lives exactly as long as its request: per-request state, like a derived value, not a registry of clients.
 */
const verifiedKeys = new WeakMap<Request, string>()

/**
 * Called by the auth plugin, and by nothing else, once `key` matched one of the server's keys: from then on the
 * key names the client. Hashed, so no secret is held.
 */
export function markVerifiedKey(request: Request, key: string): void {
  verifiedKeys.set(request, `key:${Bun.hash(key).toString(36)}`)
}

/**
 * Who a request is from, for per-client limits (rate limit, in-flight share): the API key the auth plugin verified,
 * else the IP. A key nobody verified (auth off, an exempt path) names nothing: if it did, a client could present a
 * fresh made-up key on every request and escape every per-client limit.
 * Behind a trusted proxy the IP is the forwarded client's (see TrustedProxies.clientAddress), so every client of
 * nginx is not one client; from anyone else X-Forwarded-For is ignored and cannot be spoofed.
 */
export function clientId(request: Request, ip: string | undefined, proxies?: TrustedProxies): string {
  const verified = verifiedKeys.get(request)
  if (verified) return verified
  const address = proxies ? proxies.clientAddress(ip, request.headers.get('x-forwarded-for')) : ip
  return `ip:${address ?? 'unknown'}`
}
