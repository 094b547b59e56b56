import { decodePrediction, encodePrediction, type CachedPrediction } from './codec'
import { LocalTier } from './local'
import { SharedTier, type SharedTierOptions } from './shared'

/**
 * What happened, for metrics. Every get emits exactly one of 'hit' (local), 'shared_hit' (Redis, after a
 * local miss) or 'miss' (neither: compute it). With a shared tier, a local miss also emits 'shared_miss'
 * or 'shared_error' (Redis down, slow past the timeout, breaker open, or a value that is not a
 * prediction); a set that could not reach Redis emits 'shared_error' too. 'eviction' is an entry pushed
 * out of the local tier by its bounds; 'shared_connect' / 'shared_disconnect' track the Redis connection.
 */
export type CacheEvent =
  | 'hit'
  | 'miss'
  | 'eviction'
  | 'shared_hit'
  | 'shared_miss'
  | 'shared_error'
  | 'shared_connect'
  | 'shared_disconnect'

export interface ResultCacheOptions {
  /** Most entries in the local tier. */
  maxEntries: number
  /** Most bytes in the local tier (UTF-8 bytes of key + serialised prediction). */
  maxBytes: number
  /** Entry lifetime in both tiers, ms. Results are deterministic per key, so this bounds memory, not staleness. */
  ttlMs: number
  /** Shared Redis tier; absent means local only. */
  redis?: SharedTierOptions
  onEvent?: (event: CacheEvent) => void
  /** Clock for local TTL and the Redis breaker, ms; tests inject one instead of sleeping. */
  now?: () => number
}

/** Prediction cache: an in-process LRU in front of an optional Redis shared by replicas. Never throws on Redis trouble. */
export class ResultCache {
  private readonly local: LocalTier
  private readonly shared: SharedTier | undefined
  private readonly ttlMs: number
  private readonly emit: (event: CacheEvent) => void
  private readonly pendingWrites = new Set<Promise<void>>()

  constructor(options: ResultCacheOptions) {
    for (const name of ['maxEntries', 'maxBytes', 'ttlMs'] as const) {
      const v = options[name]
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`ResultCache ${name} must be a positive integer, got ${v}`)
    }
    this.ttlMs = options.ttlMs
    this.emit = options.onEvent ?? (() => {})
    const now = options.now ?? (() => performance.now())
    this.local = new LocalTier({
      maxEntries: options.maxEntries,
      maxBytes: options.maxBytes,
      ttlMs: options.ttlMs,
      now: options.now,
      onEvict: () => this.emit('eviction')
    })
    this.shared = options.redis
      ? new SharedTier(
          options.redis,
          { onConnect: () => this.emit('shared_connect'), onDisconnect: () => this.emit('shared_disconnect') },
          now
        )
      : undefined
  }

  /** Local tier first, then Redis (bounded by its getTimeoutMs); a Redis answer is copied into the local tier. */
  async get(key: string): Promise<CachedPrediction | undefined> {
    const text = this.local.get(key)
    if (text !== undefined) {
      this.emit('hit')
      return JSON.parse(text) as CachedPrediction // our own encoding: no need to validate
    }
    const found = this.shared ? await this.getShared(key) : undefined
    this.emit(found ? 'shared_hit' : 'miss')
    return found
  }

  /** Stores in the local tier now and in Redis in the background (failures only counted). */
  set(key: string, value: CachedPrediction): void {
    const text = encodePrediction(value)
    this.local.set(key, text)
    if (!this.shared) return
    const write = this.shared.set(key, text, this.ttlMs).then((ok) => {
      if (!ok) this.emit('shared_error')
    })
    this.pendingWrites.add(write)
    void write.finally(() => this.pendingWrites.delete(write))
  }

  /**
   * Resolves when every Redis write started so far has settled (for draining and for tests). A stalled
   * Redis holds its writes, so bound this with a timeout on drain.
   */
  async flush(): Promise<void> {
    await Promise.all(this.pendingWrites)
  }

  /** Closes the Redis connection and empties the local tier. */
  async close(): Promise<void> {
    this.shared?.close()
    this.local.clear()
  }

  /** Entries and bytes in the local tier, for gauges. */
  get localSize(): { entries: number; bytes: number } {
    return { entries: this.local.size, bytes: this.local.bytes }
  }

  private async getShared(key: string): Promise<CachedPrediction | undefined> {
    const result = await this.shared!.get(key)
    if (result.kind === 'miss') {
      this.emit('shared_miss')
      return undefined
    }
    const value = result.kind === 'hit' ? decodePrediction(result.text) : undefined
    if (value === undefined) {
      this.emit('shared_error')
      return undefined
    }
    this.local.set(key, encodePrediction(value)) // re-encoded: only the fields we know, whatever Redis held
    return value
  }
}
