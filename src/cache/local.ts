import { LRUCache } from 'lru-cache'

export interface LocalTierOptions {
  /** Most entries kept. */
  maxEntries: number
  /** Most bytes kept, counted as UTF-8 bytes of key + serialised value. */
  maxBytes: number
  /** Entry lifetime, milliseconds. */
  ttlMs: number
  /** Time source for TTL, milliseconds; tests pass a fake one instead of sleeping. Must not read 0 (lru-cache takes a 0 start as "no TTL"). */
  now?: () => number
  /** Called once per entry pushed out by the entry or byte bound (not for expiry or overwrite). */
  onEvict?: () => void
}

/** The in-process tier: an LRU of serialised predictions bounded by entries, bytes and age. */
export class LocalTier {
  private readonly lru: LRUCache<string, string>

  constructor(options: LocalTierOptions) {
    const onEvict = options.onEvict
    this.lru = new LRUCache<string, string>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      ttl: options.ttlMs,
      // An injected clock must be read on every access: lru-cache otherwise reuses one reading for 1 ms.
      ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}),
      dispose: onEvict
        ? (_value, _key, reason) => {
            if (reason === 'evict') onEvict()
          }
        : undefined
    })
  }

  /** The stored text, or undefined when absent or expired. */
  get(key: string): string | undefined {
    return this.lru.get(key)
  }

  /** Stores the text; an entry larger than maxBytes is silently not stored (it would evict everything). */
  set(key: string, text: string): void {
    const size = Buffer.byteLength(key) + Buffer.byteLength(text)
    if (size > this.lru.maxSize) return
    this.lru.set(key, text, { size })
  }

  get size(): number {
    return this.lru.size
  }

  get bytes(): number {
    return this.lru.calculatedSize
  }

  clear(): void {
    this.lru.clear()
  }
}
