import { Elysia } from 'elysia'
import { readFileSync } from 'node:fs'
import { timingSafeEqual } from 'node:crypto'
import { AppError } from '../../errors'
import { markVerifiedKey } from '../client-id'

const digest = (key: string) => new Bun.CryptoHasher('sha256').update(key).digest()

/** Keys from config plus the keys file (one per line, # comments). */
export function loadApiKeys(keys: readonly string[], file: string): string[] {
  const fromFile = file
    ? readFileSync(file, 'utf8')
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('#'))
    : []
  for (const key of fromFile) if (key.length < 16) throw new Error(`${file}: every API key must be at least 16 characters`)
  // A keys file says "auth on": one that holds no key (an empty Secret, a wrong mount) would turn it off in silence.
  if (file && fromFile.length === 0)
    throw new Error(`${file} (BUN_INFER_API_KEYS_FILE) holds no API key: auth would be off; add keys, or unset the setting`)
  return [...keys, ...fromFile]
}

/**
 * Whether `path` is one of the prefixes or below one (`/docs` covers `/docs/assets/x`, not `/docsx`).
 * `/` covers only the page at `/`: as a prefix it would exempt every path.
 */
export function isExempt(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => path === prefix || (prefix !== '/' && path.startsWith(prefix.endsWith('/') ? prefix : prefix + '/')))
}

/** The key a request presents: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
export function presentedKey(request: Request): string | undefined {
  const auth = request.headers.get('authorization')
  if (auth && /^bearer /i.test(auth)) return auth.slice(7).trim()
  return request.headers.get('x-api-key') ?? undefined
}

/**
 * Compares SHA-256 digests with timingSafeEqual, against every key without stopping early, so
 * neither the key's length nor its first wrong byte shows in the response time.
 */
export function keyMatcher(keys: readonly string[]): (candidate: string) => boolean {
  const digests = keys.map(digest)
  return (candidate) => {
    const presented = digest(candidate)
    let match = false
    for (const known of digests) match = timingSafeEqual(known, presented) || match
    return match
  }
}

/**
 * 401 unless the request carries a known API key; exempt path prefixes pass. Off when there are no keys. Registered
 * before the rate limit, so a refused key consumes nothing; a verified key names the client for every per-client
 * limit (see clientId), an unverified one never does.
 */
export function authPlugin(keys: readonly string[], exemptPrefixes: readonly string[]) {
  const plugin = new Elysia({ name: 'auth' })
  if (keys.length === 0) return plugin
  const matches = keyMatcher(keys)
  const challenge = { 'www-authenticate': 'Bearer realm="bun-infer"' }
  return plugin.onRequest(({ request }) => {
    if (request.method === 'OPTIONS') return // CORS preflights carry no credentials
    if (isExempt(new URL(request.url).pathname, exemptPrefixes)) return
    const key = presentedKey(request)
    if (!key)
      throw new AppError('unauthorized', 'an API key is required (Authorization: Bearer <key> or x-api-key)', { headers: challenge })
    if (!matches(key))
      throw new AppError('unauthorized', 'the API key is not valid', {
        headers: { 'www-authenticate': 'Bearer realm="bun-infer", error="invalid_token"' }
      })
    markVerifiedKey(request, key)
  })
}
