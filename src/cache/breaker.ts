/**
 * A consecutive-failure circuit breaker, pure apart from the injected clock.
 *
 * Why: a Redis that is connected but stalled (paused, swapping, a half-open TCP path) costs every cache
 * miss the full shared-tier timeout. After `threshold` failures in a row the breaker opens and the shared
 * tier is skipped (zero added latency) for `cooldownMs`; then requests go through again, and one success
 * closes it.
 */
export class Breaker {
  private failures = 0
  private openUntil = -Infinity

  constructor(
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly now: () => number
  ) {
    if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError('breaker threshold must be >= 1')
  }

  /** Whether a request may try the shared tier now. */
  allows(): boolean {
    return this.now() >= this.openUntil
  }

  success(): void {
    this.failures = 0
    this.openUntil = -Infinity
  }

  failure(): void {
    this.failures++
    if (this.failures >= this.threshold) this.openUntil = this.now() + this.cooldownMs
  }
}
