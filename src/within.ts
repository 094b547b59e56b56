/** What within() resolves with when the time ran out first. */
export const TIMED_OUT = Symbol('timed out')

/**
 * Waits for `work` at most `ms`: its value (or its rejection), or TIMED_OUT. The timer goes with the wait, so
 * nothing is left pending once it is over. `work` itself is not cancelled.
 */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}
