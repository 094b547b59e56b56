/**
 * When to restart a server process that died. The first restart is at once (100 ms), so one crash costs a
 * container little; a process that keeps dying soon after it starts (a bad model file, memory it cannot get) is
 * restarted ever more slowly, up to every 10 s, so it does not take the CPU from the processes still serving.
 */
export const FIRST_RESTART_MS = 100
export const MAX_RESTART_MS = 10_000
/** A process that lived this long before it died starts the count again: it was not crashing in a loop. */
export const STABLE_AFTER_MS = 30_000

/** Short-lived deaths in a row, this one included; 0 when the process that died had run STABLE_AFTER_MS. */
export function nextQuickDeaths(quickDeaths: number, livedMs: number): number {
  return livedMs >= STABLE_AFTER_MS ? 0 : quickDeaths + 1
}

/** The delay before the restart, given the short-lived deaths in a row (nextQuickDeaths). */
export function restartDelayMs(quickDeaths: number): number {
  return Math.min(MAX_RESTART_MS, FIRST_RESTART_MS * 2 ** quickDeaths)
}
