import { TIMED_OUT, within } from '../within'
import { RedisClient } from 'bun'
import { Breaker } from './breaker'

/** The optional Redis tier. Only `url` is required; defaults suit a Redis on the same network. */
export interface SharedTierOptions {
  /** redis:// or rediss:// URL (the server's REDIS_URL), with the credentials of its ACL user: redis://user:password@host:port. */
  url: string
  /** Longest a get may wait for Redis before the request goes on without it, ms. Default 30. */
  getTimeoutMs?: number
  /** Longest one connection attempt may take, ms. Default 1000. */
  connectTimeoutMs?: number
  /**
   * Prepended to every key, so several deployments can share one Redis: the server passes
   * sharedKeyPrefix(BUN_INFER_CACHE_NAMESPACE). Default 'bun-infer:result:' (the default namespace's).
   */
  keyPrefix?: string
  /** Most commands awaiting Redis at once; beyond it the tier is skipped, so a stall cannot grow memory. Default 1000. */
  maxInFlight?: number
  /** First and largest delay between reconnection attempts, ms (doubling in between). Defaults 50 and 2000. */
  reconnectMinMs?: number
  reconnectMaxMs?: number
  /** Consecutive get failures that open the breaker, and how long it stays open, ms. Defaults 5 and 1000. */
  breakerThreshold?: number
  breakerCooldownMs?: number
}

export type SharedResult = { kind: 'hit'; text: string } | { kind: 'miss' } | { kind: 'error' }

export interface SharedTierHooks {
  onConnect(): void
  onDisconnect(): void
}

/**
 * Redis as a best-effort second tier: every failure (down, slow, breaker open, too many in flight) reads
 * as { kind: 'error' } within getTimeoutMs, never as a throw. Bun's RedisClient is used (faster than ioredis,
 * and no extra dependency; see README.md) with its own reconnection and offline queue turned off: this class
 * owns reconnection, because Bun's gives up after maxRetries, and queued commands would only be answered late.
 */
export class SharedTier {
  private readonly client: RedisClient
  private readonly breaker: Breaker
  private readonly getTimeoutMs: number
  private readonly keyPrefix: string
  private readonly maxInFlight: number
  private readonly reconnectMinMs: number
  private readonly reconnectMaxMs: number
  private reconnectDelayMs: number
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined
  private connecting = false
  private connected = false
  private closed = false
  private inFlight = 0

  constructor(
    options: SharedTierOptions,
    private readonly hooks: SharedTierHooks,
    now: () => number
  ) {
    this.getTimeoutMs = options.getTimeoutMs ?? 30
    this.keyPrefix = options.keyPrefix ?? 'bun-infer:result:'
    this.maxInFlight = options.maxInFlight ?? 1000
    this.reconnectMinMs = options.reconnectMinMs ?? 50
    this.reconnectMaxMs = options.reconnectMaxMs ?? 2000
    this.reconnectDelayMs = this.reconnectMinMs
    this.breaker = new Breaker(options.breakerThreshold ?? 5, options.breakerCooldownMs ?? 1000, now)
    this.client = new RedisClient(options.url, {
      autoReconnect: false,
      enableOfflineQueue: false,
      connectionTimeout: options.connectTimeoutMs ?? 1000
    })
    this.client.onconnect = () => this.handleConnect()
    this.client.onclose = () => this.handleClose()
    this.connect()
  }

  /** Looks the key up in Redis, bounded by getTimeoutMs. */
  async get(key: string): Promise<SharedResult> {
    if (!this.usable() || !this.breaker.allows()) return { kind: 'error' }
    try {
      const text = await within(this.track(this.client.get(this.keyPrefix + key)), this.getTimeoutMs)
      if (text === TIMED_OUT) {
        this.breaker.failure()
        return { kind: 'error' }
      }
      this.breaker.success()
      return text === null ? { kind: 'miss' } : { kind: 'hit', text }
    } catch {
      this.breaker.failure()
      return { kind: 'error' }
    }
  }

  /** Stores the text with a TTL without waiting; resolves false when it was skipped or failed (for counting). */
  async set(key: string, text: string, ttlMs: number): Promise<boolean> {
    if (!this.usable() || !this.breaker.allows()) return false
    try {
      await this.track(this.client.set(this.keyPrefix + key, text, 'PX', ttlMs))
      return true
    } catch {
      return false
    }
  }

  /** Stops reconnecting and closes the connection; later calls answer { kind: 'error' } at once. */
  close(): void {
    this.closed = true
    clearTimeout(this.reconnectTimer)
    this.client.close()
  }

  private usable(): boolean {
    return !this.closed && this.connected && this.inFlight < this.maxInFlight
  }

  /** Counts a command as in flight until Redis answers it, even after its caller stopped waiting. */
  private track<T>(command: Promise<T>): Promise<T> {
    this.inFlight++
    return command.finally(() => {
      this.inFlight--
    })
  }

  private connect(): void {
    if (this.closed || this.connecting) return
    this.connecting = true
    this.client.connect().then(
      () => {
        this.connecting = false
      },
      () => {
        this.connecting = false
        this.scheduleReconnect()
      }
    )
  }

  private handleConnect(): void {
    this.connected = true
    this.reconnectDelayMs = this.reconnectMinMs
    this.breaker.success()
    this.hooks.onConnect()
  }

  private handleClose(): void {
    const wasConnected = this.connected
    this.connected = false
    if (this.closed) return
    if (wasConnected) this.hooks.onDisconnect()
    this.scheduleReconnect()
  }

  /** One pending attempt at a time; the delay doubles up to reconnectMaxMs and resets on connect. */
  private scheduleReconnect(): void {
    if (this.closed || this.connecting || this.reconnectTimer !== undefined) return
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined
      this.connect()
    }, this.reconnectDelayMs)
    this.reconnectTimer.unref() // waiting to reconnect is no reason to keep a process alive
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, this.reconnectMaxMs)
  }
}
