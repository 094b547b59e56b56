import type { Priority } from '../batching/policy'

/** At most `limit` tasks at once; the rest wait in arrival order, interactive ones before every background one. */
export class Semaphore {
  private active = 0
  private readonly waiting: Array<() => void> = []
  private readonly waitingBackground: Array<() => void> = []

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`Semaphore limit must be a positive integer, got ${limit}`)
  }

  /** Tasks running now. */
  get running(): number {
    return this.active
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.waiting.length + this.waitingBackground.length
  }

  async run<T>(task: () => Promise<T>, priority: Priority = 'interactive'): Promise<T> {
    if (this.active >= this.limit)
      await new Promise<void>((resolve) => (priority === 'background' ? this.waitingBackground : this.waiting).push(resolve))
    else this.active++
    try {
      return await task()
    } finally {
      // Hand the slot straight to the next waiter (active stays the same), or free it.
      const next = this.waiting.shift() ?? this.waitingBackground.shift()
      if (next) next()
      else this.active--
    }
  }
}
