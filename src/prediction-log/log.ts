import { TIMED_OUT, within } from '../within'
import type { PredictionRecord, PredictionSink } from './record'
import type { PredictionStore } from './store'

export interface PredictionLogOptions {
  /** Records held while they wait to be written; beyond, new ones are dropped and counted. */
  maxBufferedRecords: number
  /** Records older than this go (ms). */
  maxAgeMs: number
  /** The oldest records beyond this many go. */
  maxRecords: number
  /** A buffer this full is written at once; otherwise every flushIntervalMs. */
  flushRecords?: number
  flushIntervalMs?: number
  pruneIntervalMs?: number
  /** A write that takes longer has failed: its records are dropped, and the buffer fills meanwhile. */
  writeTimeoutMs?: number
  now?: () => number
  /** A write failed (the store is down or full): its records were dropped. Called once per failure streak. */
  onWriteError?: (error: unknown, dropped: number) => void
  /** Writing works again after a failure. */
  onRecovered?: () => void
}

/** Counts for /metrics. */
export interface PredictionLogCounts {
  written: number
  dropped: { buffer_full: number; store_error: number }
  buffered: number
}

/**
 * The prediction log: answered images are buffered in memory and written to the store in batches, off the request
 * path (a timer, not the request, runs the write), one write at a time. The buffer is bounded: when the store is
 * slow or down, records beyond it are dropped and counted, never a request slowed or failed; writing resumes by
 * itself when the store is back. close() writes what is buffered, so nothing answered before a graceful stop is lost.
 */
export class PredictionLog implements PredictionSink {
  private buffer: PredictionRecord[] = []
  private timer: ReturnType<typeof setTimeout> | undefined
  private immediate: ReturnType<typeof setImmediate> | undefined
  private writing: Promise<void> | undefined
  private readonly pruner: ReturnType<typeof setInterval>
  private failing = false
  private closed = false
  readonly counts: PredictionLogCounts = { written: 0, dropped: { buffer_full: 0, store_error: 0 }, buffered: 0 }

  constructor(
    readonly store: PredictionStore,
    private readonly options: PredictionLogOptions
  ) {
    void this.prune()
    this.pruner = setInterval(() => void this.prune(), options.pruneIntervalMs ?? 60_000)
    this.pruner.unref()
  }

  add(record: PredictionRecord): void {
    if (this.closed || this.buffer.length >= this.options.maxBufferedRecords) {
      this.counts.dropped.buffer_full++
      return
    }
    this.buffer.push(record)
    this.counts.buffered = this.buffer.length
    this.schedule()
  }

  /** Writes everything buffered now (after the write in progress, if any); resolves when it is written or dropped. */
  async flush(): Promise<void> {
    clearTimeout(this.timer)
    clearImmediate(this.immediate)
    this.timer = undefined
    this.immediate = undefined
    while (this.writing) await this.writing
    if (this.buffer.length === 0) return
    const batch = this.buffer
    this.buffer = []
    this.counts.buffered = 0
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined
      if (this.buffer.length > 0 && !this.closed) this.schedule()
    })
    await this.writing
  }

  /** Writes what is buffered and closes the store; later records are dropped. */
  async close(): Promise<void> {
    await this.flush()
    this.closed = true
    clearInterval(this.pruner)
    await this.store.close()
  }

  private schedule(): void {
    if (this.writing) return // the write in progress schedules the next one when it ends
    // A full batch is written once the current I/O callbacks are done, never inside the request that filled it.
    if (this.buffer.length >= (this.options.flushRecords ?? 512)) this.immediate ??= setImmediate(() => void this.flush())
    else this.timer ??= setTimeout(() => void this.flush(), this.options.flushIntervalMs ?? 250)
  }

  private async write(batch: PredictionRecord[]): Promise<void> {
    try {
      await withTimeout(this.store.write(batch), this.options.writeTimeoutMs ?? 10_000)
      this.counts.written += batch.length
      if (this.failing) {
        this.failing = false
        this.options.onRecovered?.()
      }
    } catch (error) {
      this.counts.dropped.store_error += batch.length
      if (!this.failing) this.options.onWriteError?.(error, batch.length)
      this.failing = true
    }
  }

  private async prune(): Promise<void> {
    const now = (this.options.now ?? Date.now)()
    try {
      await withTimeout(this.store.prune(now - this.options.maxAgeMs, this.options.maxRecords), this.options.writeTimeoutMs ?? 10_000)
    } catch (error) {
      if (!this.failing) this.options.onWriteError?.(error, 0)
    }
  }
}

/** `work`, or a rejection once `ms` passed without it: a store that hangs fails like one that refuses. */
async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  const result = await within(work, ms)
  if (result === TIMED_OUT) throw new Error(`the prediction store did not answer within ${ms} ms`)
  return result
}
