/**
 * Wakes the readers of a job's results when something of it changes. In one process every change is seen; with
 * replicas a change made by another process is not, so a wait also ends after `fallbackMs`.
 */
export class JobNotifier {
  private readonly waiters = new Map<string, Set<() => void>>()

  constructor(private readonly fallbackMs = 1000) {}

  /** Jobs that have readers waiting now. */
  get jobsWaitedOn(): number {
    return this.waiters.size
  }

  notify(id: string): void {
    const waiting = this.waiters.get(id)
    this.waiters.delete(id)
    for (const wake of waiting ?? []) wake()
  }

  /** Resolves at the job's next change, after `fallbackMs`, or when `signal` aborts, whichever comes first. */
  changed(id: string, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      const waiting = this.waiters.get(id) ?? new Set()
      this.waiters.set(id, waiting)
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        waiting.delete(done)
        // The last reader of a job that no longer changes (finished, expired) leaves no entry behind.
        if (waiting.size === 0 && this.waiters.get(id) === waiting) this.waiters.delete(id)
        resolve()
      }
      const timer = setTimeout(done, this.fallbackMs)
      signal.addEventListener('abort', done, { once: true })
      waiting.add(done)
    })
  }
}
