/**
 * Gives request bodies' memory back, during a burst and after it. JavaScriptCore collects when JS
 * allocates, and body buffers are external memory it frees only when it runs: a server that goes idle
 * after a burst would keep far more than its warm RSS resident until something allocates again
 * (bench/micro/rss-after-burst.ts measures it; docs/RELIABILITY.md has the result).
 *
 * Two actions:
 * - a nudge each time `nudgeEveryBytes` of garbage were left: each released body counts its bytes plus
 *   `requestGarbageBytes`, what a request leaves besides its body (its decoded crop and the crop's copy in a
 *   batch buffer, ≈ 300 KB for a 224×224 model; counted by bodies alone, a flood of small photos would nudge
 *   too seldom to bound the peak). The nudge is a full collection (`Bun.gc(true)`, which pauses the event
 *   loop) when the server is busy (`busy()`: enough requests in flight that each waits far longer than a
 *   pause anyway) or when at least half of those bytes came in huge bodies (over `hugeBodyBytes`, whose
 *   buffers only a full collection frees in time); otherwise an asynchronous one (`Bun.gc(false)`, no pause),
 *   so a lone request's latency never meets a pause. Asynchronous nudges alone barely lower the peaks, and
 *   full ones under load cost no measurable throughput (bench/ab.ts compares two builds);
 * - after a large body (over `largeBodyBytes`) was released, an idle collection once less than
 *   `quietBelowBytes` has been in flight for `quietMs` (ordinary photos may keep arriving; a large body
 *   postpones it): a full collection, then glibc's malloc_trim. It blocks the event loop for tens of ms,
 *   so it never runs while large bodies arrive, and ordinary photos alone never cause it.
 */
import { dlopen, FFIType } from 'bun:ffi'

export interface ReclaimerOptions {
  /** Garbage (released bodies, plus `requestGarbageBytes` each) between two nudges. */
  nudgeEveryBytes: number
  /** What one request leaves besides its body, counted at its release (see above). */
  requestGarbageBytes: number
  /** Whether a pause is cheap now (many requests in flight): the nudge is then a full collection. */
  busy: () => boolean
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
    this.sinceNudge += bytes + this.options.requestGarbageBytes
    if (bytes > this.options.hugeBodyBytes) this.hugeSinceNudge += bytes
    if (bytes > this.options.largeBodyBytes) this.largeSinceCollection = true
    if (this.sinceNudge >= this.options.nudgeEveryBytes) {
      const full = this.options.busy() || this.hugeSinceNudge * 2 >= this.sinceNudge
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

/** glibc's malloc_trim (every arena): freed native memory goes back to the OS; a no-op where there is no glibc. */
export function trimNativeHeap(): void {
  if (trim === null) trim = glibcTrim()
  trim?.()
}

/** A full collection of this thread's heap, then malloc_trim: freed native memory goes back to the OS. */
export function fullCollection(): void {
  Bun.gc(true)
  trimNativeHeap()
}
