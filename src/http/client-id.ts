import { presentedKey } from './plugins/auth'
import type { TrustedProxies } from './trusted-proxies'

/**
 * Who a request is from, for per-client limits: its API key (hashed, so no secret is held), else its IP.
 * Behind a trusted proxy the IP is the forwarded client's (see TrustedProxies.clientAddress), so every
 * client of nginx is not one client; from anyone else X-Forwarded-For is ignored and cannot be spoofed.
 */
export function clientId(request: Request, ip: string | undefined, proxies?: TrustedProxies): string {
  const key = presentedKey(request)
  if (key) return `key:${Bun.hash(key).toString(36)}`
  const address = proxies ? proxies.clientAddress(ip, request.headers.get('x-forwarded-for')) : ip
  return `ip:${address ?? 'unknown'}`
}
