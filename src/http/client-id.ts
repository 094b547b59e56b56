import { presentedKey } from './plugins/auth'

/**
 * Who a request is from, for per-client limits: its API key (hashed, so no secret is held), else its IP.
 */
export function clientId(request: Request, ip: string | undefined): string {
  const key = presentedKey(request)
  return key ? `key:${Bun.hash(key).toString(36)}` : `ip:${ip ?? 'unknown'}`
}
