import { type Drift, drift } from './drift'
import type { PredictionStore } from './store'

export interface DriftSettings {
  referencePredictions: number
  windowMs: number
  minWindowPredictions: number
}

/** A model version's drift now, or why there is none yet. */
export type DriftResult =
  | { drift: Drift }
  | { drift: null; reason: 'reference_incomplete' | 'window_too_small'; reference: number; window: number }

/**
 * The drift of one model version: its first `referencePredictions` logged predictions against those of the last
 * `windowMs`. None until the reference is complete and the window holds `minWindowPredictions`.
 */
export async function driftOf(
  store: PredictionStore,
  model: string,
  version: string,
  settings: DriftSettings,
  now = Date.now()
): Promise<DriftResult> {
  const reference = await store.first(model, version, settings.referencePredictions)
  if (reference.length < settings.referencePredictions)
    return { drift: null, reason: 'reference_incomplete', reference: reference.length, window: 0 }
  const window = await store.since(model, version, now - settings.windowMs)
  if (window.length < settings.minWindowPredictions)
    return { drift: null, reason: 'window_too_small', reference: reference.length, window: window.length }
  return { drift: drift(reference, window) }
}

/**
 * Computes every served version's drift every `intervalMs`, for the gauges (a scrape reads the last result, never
 * the database). A version without drift yet, or one no longer served, has no gauge.
 */
export class DriftMonitor {
  private readonly latest = new Map<string, { model: string; version: string; drift: Drift }>()
  private timer: ReturnType<typeof setInterval> | undefined
  private running: Promise<void> | undefined

  constructor(
    private readonly store: PredictionStore,
    private readonly versions: () => ReadonlyArray<{ model: string; version: string }>,
    private readonly settings: DriftSettings,
    private readonly onError: (error: unknown) => void = () => {}
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.refresh(), intervalMs)
    this.timer.unref()
    void this.refresh()
  }

  /** Computes every version's drift now (one pass at a time). */
  refresh(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.running
  }

  /** The last computed drift of each version that has one. */
  current(): Iterable<{ model: string; version: string; drift: Drift }> {
    return this.latest.values()
  }

  private async pass(): Promise<void> {
    const served = new Set<string>()
    for (const { model, version } of this.versions()) {
      const key = `${model}:${version}`
      served.add(key)
      try {
        const result = await driftOf(this.store, model, version, this.settings)
        if (result.drift) this.latest.set(key, { model, version, drift: result.drift })
        else this.latest.delete(key)
      } catch (error) {
        this.onError(error) // the store is down: keep the last values rather than report no drift
      }
    }
    for (const key of [...this.latest.keys()]) if (!served.has(key)) this.latest.delete(key)
  }
}
