/**
 * Gives request bodies' memory back, during a burst and after it. JavaScriptCore collects when JS
 * allocates, and body buffers are external memory it frees only when it runs: measured with
 * bench/micro/rss-after-burst.ts (docs/RELIABILITY.md, "Memory after a burst"), 260–306 MB were still
 * resident 3 s after a burst on a server that had gone idle, 179 MB after one full collection and 165 MB
 * after malloc_trim, against 169 MB warm.
 *
 * Two actions:
 * - a nudge each time `nudgeEveryBytes` of bodies were released: an asynchronous collection
 *   (`Bun.gc(false)`: no pause on the event loop), so garbage does not pile up between JSC's own
 *   collections; when at least half of those bytes came in huge bodies (over `hugeBodyBytes`), a full one
 *   instead (`Bun.gc(true)`, tens of ms of pause): under 64 clients sending 30 MB bodies it took peak RSS
 *   from 412–492 MB to 310–335 MB, at the cost of the good client's latency during the flood (p50 75–134
 *   → 147–156 ms on the shared machine). Camera photos (2–3 MB) never cause a full one: a pause per few
 *   photos would cost throughput;
 * - after a large body (over `largeBodyBytes`) was released, an idle collection once less than
 *   `quietBelowBytes` has been in flight for `quietMs` (ordinary photos may keep arriving; a large body
 *   postpones it): a full collection, then glibc's malloc_trim. It blocks the event loop for tens of ms,
 *   so it never runs while large bodies arrive, and ordinary photos alone never cause it.
 */
import { dlopen, FFIType } from 'bun:ffi'

export interface ReclaimerOptions {
  /** Body bytes released between two nudges. */
  nudgeEveryBytes: number
  /** A body this large, once released, calls for the idle collection. */
  largeBodyBytes: number
  /** Bodies this large make a nudge a full collection (see above). */
  hugeBodyBytes: number
  /** How long the budget must stay under `quietBelowBytes` before the idle collection, ms. */
  quietMs: number
  /** Bytes in flight that still count as quiet (a few ordinary photos). */
  quietBelowBytes: number
  /** Default: Bun.gc(false), an asynchronous collection; `full` asks for Bun.gc(true). */
  nudge?: (full: boolean) => void
  /** Default: a full GC, then glibc's malloc_trim where there is one. */
  collect?: () => void
  /** Injectable timers for tests. */
  setTimer?: (fn: () => void, ms: number) => { cancel(): void }
}

export class Reclaimer {
  private sinceNudge = 0
  private hugeSinceNudge = 0
  private largeSinceCollection = false
  private pending?: { cancel(): void }
  /** Runs so far (for tests). */
  nudges = 0
  fullNudges = 0
  collections = 0
  private readonly nudge: (full: boolean) => void
  private readonly collect: () => void
  private readonly setTimer: NonNullable<ReclaimerOptions['setTimer']>

  constructor(private readonly options: ReclaimerOptions) {
    this.nudge = options.nudge ?? ((full) => Bun.gc(full))
    this.collect = options.collect ?? fullCollection
    this.setTimer = options.setTimer ?? unrefTimer
  }

  /** Bytes were reserved; `usedAfter` is what is in flight now. Over the quiet level, a pending idle collection waits. */
  readonly reserved = (usedAfter: number): void => {
    if (usedAfter < this.options.quietBelowBytes) return
    this.pending?.cancel()
    this.pending = undefined
  }

  /** A body's bytes were released; `usedAfter` is what is still in flight. */
  readonly released = (bytes: number, usedAfter: number): void => {
    this.sinceNudge += bytes
    if (bytes > this.options.hugeBodyBytes) this.hugeSinceNudge += bytes
    if (bytes > this.options.largeBodyBytes) this.largeSinceCollection = true
    if (this.sinceNudge >= this.options.nudgeEveryBytes) {
      const full = this.hugeSinceNudge * 2 >= this.sinceNudge
      this.sinceNudge = this.hugeSinceNudge = 0
      this.nudges++
      if (full) this.fullNudges++
      this.nudge(full)
    }
    if (usedAfter >= this.options.quietBelowBytes || !this.largeSinceCollection) return
    this.pending?.cancel()
    this.pending = this.setTimer(() => {
      this.pending = undefined
      this.largeSinceCollection = false
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
    return undefined // musl (Alpine) or no FFI: the full collection alone gives back most of it
  }
}

let trim: (() => void) | undefined | null = null

/** A full collection of this thread's heap, then malloc_trim: freed native memory goes back to the OS. */
export function fullCollection(): void {
  Bun.gc(true)
  if (trim === null) trim = glibcTrim()
  trim?.()
}
