/** One request of a steady load: when it started and ended (performance.now() ms) and how it went. */
export interface LoadResult {
  startedAt: number
  endedAt: number
  /** HTTP status, or 0 when the request failed without one (connection refused, reset). */
  status: number
  servedBy: string | null
  error?: string
}

/**
 * `concurrency` loops, each sending one request after the other until stop(): a steady, bounded load to
 * run a scenario (a replica killed, a rolling restart) under. Every request is recorded.
 */
export class SteadyLoad {
  readonly results: LoadResult[] = []
  private stopped = false
  private readonly loops: Promise<void>[]
  private readonly waiters = new Set<() => void>()
  inFlight = 0

  constructor(
    concurrency: number,
    private readonly send: (n: number) => Promise<Response>
  ) {
    let sequence = 0
    this.loops = Array.from({ length: concurrency }, async () => {
      while (!this.stopped) await this.one(sequence++)
    })
  }

  private async one(n: number): Promise<void> {
    const startedAt = performance.now()
    this.inFlight++
    let result: LoadResult
    try {
      const response = await this.send(n)
      await response.arrayBuffer()
      result = { startedAt, endedAt: performance.now(), status: response.status, servedBy: response.headers.get('x-served-by') }
    } catch (error) {
      result = { startedAt, endedAt: performance.now(), status: 0, servedBy: null, error: String(error) }
    }
    this.inFlight--
    this.results.push(result)
    for (const wake of [...this.waiters]) wake()
  }

  /** Resolves once `count` more requests than now have completed. */
  more(count: number): Promise<void> {
    const target = this.results.length + count
    return new Promise((resolve) => {
      const check = () => {
        if (this.results.length < target) return
        this.waiters.delete(check)
        resolve()
      }
      this.waiters.add(check)
      check()
    })
  }

  /** Lets the requests in flight finish, sends no more, and returns every result. */
  async stop(): Promise<LoadResult[]> {
    this.stopped = true
    await Promise.all(this.loops)
    return this.results
  }
}
