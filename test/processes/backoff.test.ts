import { describe, expect, test } from 'bun:test'
import { MAX_RESTART_MS, nextQuickDeaths, restartDelayMs, STABLE_AFTER_MS } from '../../src/processes/backoff'

describe('restarting a server process that died', () => {
  test.each([
    // [short-lived deaths in a row, delay ms]
    [0, 100],
    [1, 200],
    [2, 400],
    [6, 6400],
    [7, MAX_RESTART_MS],
    [40, MAX_RESTART_MS]
  ])('after %i short-lived deaths: %i ms', (quickDeaths, delayMs) => {
    expect(restartDelayMs(quickDeaths)).toBe(delayMs)
  })

  test('a death soon after the start adds to the count; one after a stable run starts it again', () => {
    expect(nextQuickDeaths(0, 1_000)).toBe(1)
    expect(nextQuickDeaths(3, STABLE_AFTER_MS - 1)).toBe(4)
    expect(nextQuickDeaths(5, STABLE_AFTER_MS)).toBe(0)
  })
})
