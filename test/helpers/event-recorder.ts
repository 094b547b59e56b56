import type { CacheEvent } from '../../src/cache'

/** Records a cache's events and lets a test await the next occurrence of one (no sleeps, no polling). */
export class EventRecorder {
  readonly events: CacheEvent[] = []
  private waiters: Array<{ event: CacheEvent; resolve: () => void }> = []

  readonly record = (event: CacheEvent): void => {
    this.events.push(event)
    const ready = this.waiters.filter((w) => w.event === event)
    this.waiters = this.waiters.filter((w) => w.event !== event)
    for (const w of ready) w.resolve()
  }

  /** Resolves on the next `event` (or at once if `alreadySeen` and it has happened); rejects after timeoutMs. */
  next(event: CacheEvent, { alreadySeen = false, timeoutMs = 5000 } = {}): Promise<void> {
    if (alreadySeen && this.events.includes(event)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${event}' within ${timeoutMs} ms; saw ${this.events.join(',')}`)), timeoutMs)
      this.waiters.push({ event, resolve: () => (clearTimeout(timer), resolve()) })
    })
  }

  count(event: CacheEvent): number {
    return this.events.filter((e) => e === event).length
  }

  clear(): void {
    this.events.length = 0
  }
}
