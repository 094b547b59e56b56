import { Elysia } from 'elysia'
import { LRUCache } from 'lru-cache'
import { AppError } from '../../errors'
import { clientId } from '../client-id'
import { isExempt } from './auth'
import type { TrustedProxies } from '../trusted-proxies'

interface Bucket {
  tokens: number
  updatedAt: number
}

export interface TokenBucketOptions {
  ratePerSecond: number
  burst: number
  /** Clients remembered at once; the least recently seen are forgotten (they start full again). */
  maxClients?: number
  now?: () => number
}

/** Token buckets per client: `take(client)` returns 0 when allowed, else the seconds until a token is back. */
export class TokenBuckets {
  private readonly buckets: LRUCache<string, Bucket>
  private readonly now: () => number

  constructor(private readonly options: TokenBucketOptions) {
    this.buckets = new LRUCache({ max: options.maxClients ?? 100_000 })
    this.now = options.now ?? (() => performance.now())
  }

  take(client: string): number {
    const now = this.now()
    const bucket = this.buckets.get(client) ?? { tokens: this.options.burst, updatedAt: now }
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.options.ratePerSecond)
    bucket.updatedAt = now
    this.buckets.set(client, bucket)
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 0
    }
    return (1 - bucket.tokens) / this.options.ratePerSecond
  }
}

/**
 * Per-client rate limit, off when ratePerSecond is 0; exempt path prefixes pass. The client is the API key the auth
 * plugin verified, else the IP (the forwarded one behind a trusted proxy): see clientId.
 */
export function rateLimitPlugin(ratePerSecond: number, burst: number, exemptPrefixes: readonly string[], proxies?: TrustedProxies) {
  const plugin = new Elysia({ name: 'rate-limit' })
  if (ratePerSecond <= 0) return plugin
  const buckets = new TokenBuckets({ ratePerSecond, burst })
  return plugin.onRequest(({ request, server }) => {
    if (isExempt(new URL(request.url).pathname, exemptPrefixes)) return
    const waitSeconds = buckets.take(clientId(request, server?.requestIP(request)?.address, proxies))
    if (waitSeconds > 0)
      throw new AppError('rate_limited', `too many requests from this client; limit ${ratePerSecond}/s`, {
        retryAfterSeconds: Math.max(1, Math.ceil(waitSeconds))
      })
  })
}
