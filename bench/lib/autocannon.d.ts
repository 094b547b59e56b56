/** The part of autocannon 9's programmatic API the harness uses (the package ships no types). */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  function autocannon(options: autocannon.Options, callback: (error: Error | null, result: autocannon.Result) => void): autocannon.Instance

  namespace autocannon {
    interface Options {
      url: string
      method?: string
      headers?: Record<string, string>
      body?: Buffer | string
      connections?: number
      duration?: number
      /** Requests per second over all connections; each connection still waits for its reply. */
      overallRate?: number
      /** Seconds. */
      timeout?: number
      pipelining?: number
    }

    interface Histogram {
      average: number
      mean: number
      p50: number
      p90: number
      p99: number
      max: number
      min: number
    }

    interface Result {
      duration: number
      requests: Histogram & { total: number }
      latency: Histogram
      errors: number
      timeouts: number
      non2xx: number
      '2xx': number
      statusCodeStats: Record<string, { count: number }>
    }

    interface Instance extends EventEmitter {
      stop(): void
      opts: Options
    }

    interface TrackOptions {
      renderProgressBar?: boolean
      renderResultsTable?: boolean
      renderLatencyTable?: boolean
      outputStream?: NodeJS.WritableStream
    }

    function track(instance: Instance, options?: TrackOptions): void
  }
  export = autocannon
}
