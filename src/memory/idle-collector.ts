/**
 * Gives a burst's memory back once the server goes quiet. JavaScriptCore collects when JS allocates, so
 * on a server that turns idle after a burst nothing triggers a collection: the request bodies (external
 * ArrayBuffers the collector alone frees) and parsed strings stay resident. Measured with
 * bench/micro/rss-after-burst.ts (docs/RELIABILITY.md, "Memory after a burst"): 260 MB still resident 6 s
 * after a burst, 179 MB after one full collection, 165 MB after malloc_trim, against 169 MB warm.
 *
 * The collection runs only after at least `thresholdBytes` of bodies were released since the last one,
 * and after `quietMs` with less than `quietBelowBytes` in flight all along (ordinary photos may keep
 * arriving; a large body postpones it): it blocks the event loop for tens of ms, so it must not run
 * under a load of large bodies (there JSC's own allocation-driven collections keep up), and runs at
 * most once per `thresholdBytes` released.
 */
import { dlopen, FFIType } from 'bun:ffi'

export interface IdleCollectorOptions {
  /** Body bytes released since the last collection that make one worth its pause. */
  thresholdBytes: number
  /** How long the budget must stay under `quietBelowBytes` before collecting, ms. */
  quietMs: number
  /** Bytes in flight that still count as quiet (a few ordinary photos). */
  quietBelowBytes: number
  /** What a collection does; default: a full GC, then glibc's malloc_trim where there is one. */
  collect?: () => void
  /** Injectable timers for tests. */
  setTimer?: (fn: () => void, ms: number) => { cancel(): void }
}

export class IdleCollector {
  private releasedSince = 0
  private pending?: { cancel(): void }
  /** Collections run so far (for tests and logs). */
  collections = 0
  private readonly collect: () => void
  private readonly setTimer: NonNullable<IdleCollectorOptions['setTimer']>

  constructor(private readonly options: IdleCollectorOptions) {
    this.collect = options.collect ?? fullCollection
    this.setTimer = options.setTimer ?? unrefTimer
  }

  /** Bytes were reserved; `usedAfter` is what is in flight now. Over the quiet level, a pending collection waits. */
  readonly reserved = (usedAfter: number): void => {
    if (usedAfter < this.options.quietBelowBytes) return
    this.pending?.cancel()
    this.pending = undefined
  }

  /** A body's bytes were released; `usedAfter` is what is still in flight. */
  readonly released = (bytes: number, usedAfter: number): void => {
    this.releasedSince += bytes
    if (usedAfter >= this.options.quietBelowBytes || this.releasedSince < this.options.thresholdBytes) return
    this.pending?.cancel()
    this.pending = this.setTimer(() => {
      this.pending = undefined
      this.releasedSince = 0
      this.collections++
      this.collect()
    }, this.options.quietMs)
  }
}

function unrefTimer(fn: () => void, ms: number): { cancel(): void } {
  const timer = setTimeout(fn, ms)
  timer.unref() // never keeps a stopping process alive
  return { cancel: () => clearTimeout(timer) }
}

/** libvips (inside sharp) allocates with glibc malloc, whose freed arenas are not returned to the OS on their own. */
function glibcTrim(): (() => void) | undefined {
  try {
    const { symbols } = dlopen('libc.so.6', { malloc_trim: { args: [FFIType.u64], returns: FFIType.i32 } })
    return () => void symbols.malloc_trim(0)
  } catch {
    return undefined // musl (Alpine) or no FFI: the full collection alone still gives back most of it
  }
}

let trim: (() => void) | undefined | null = null

function fullCollection(): void {
  Bun.gc(true)
  if (trim === null) trim = glibcTrim()
  trim?.()
}
