/**
 * Readiness and draining. Counts requests in flight so shutdown can wait for them without polling.
 */
export class Lifecycle {
  state: 'starting' | 'ready' | 'draining' = 'starting'
  private inFlight = 0
  private idleWaiters: Array<() => void> = []

  begin(): void {
    this.inFlight++
  }

  end(): void {
    if (--this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake()
  }

  get active(): number {
    return this.inFlight
  }

  /** Resolves true once nothing is in flight, or false after timeoutMs. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs)
      this.idleWaiters.push(() => {
        clearTimeout(timer)
        resolve(true)
      })
    })
  }
}
