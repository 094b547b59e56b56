import { describe, expect, test } from 'bun:test'
import { ByteBudget } from '../../src/http/byte-budget'
import { Reclaimer } from '../../src/memory/reclaimer'

/**
 * A reclaimer on a budget of 100 bytes with a hand-driven timer (`fire()` runs what is pending, as if
 * `quietMs` had passed): nudges every 50 bytes released, bodies over 20 bytes are large, over 40 huge, quiet under 10.
 */
function harness(requestGarbageBytes = 0) {
  let pending: (() => void) | undefined
  const load = { busy: false }
  const reclaimer = new Reclaimer({
    nudgeEveryBytes: 50,
    requestGarbageBytes,
    busy: () => load.busy,
    largeBodyBytes: 20,
    hugeBodyBytes: 40,
    quietMs: 1000,
    quietBelowBytes: 10,
    collect: () => {},
    nudge: () => {},
    setTimer: (fn) => {
      pending = fn
      return { cancel: () => (pending = undefined) }
    }
  })
  const fire = () => {
    const fn = pending
    pending = undefined
    fn?.()
  }
  return { reclaimer, budget: new ByteBudget(100, 100, reclaimer), fire, armed: () => pending !== undefined, load }
}

describe('Reclaimer', () => {
  test('nudges each time enough bytes were released, small bodies included; asynchronous unless mostly huge bodies', () => {
    const { reclaimer, budget } = harness()
    for (let i = 0; i < 10; i++) budget.reserve(9)!.release()
    expect([reclaimer.nudges, reclaimer.fullNudges]).toEqual([1, 0]) // 90 bytes: one nudge at 50, the count starts again
    budget.reserve(45)!.release() // 40 + 45 ≥ 50, over half of it huge
    expect([reclaimer.nudges, reclaimer.fullNudges]).toEqual([2, 1])
  })

  test("each request counts its garbage besides the body; a busy server's nudge is a full collection", () => {
    const { reclaimer, budget, load } = harness(20)
    // 1 + 20 each: a nudge at the third release (63 ≥ 50), though only 3 body bytes were released.
    for (let i = 0; i < 5; i++) budget.reserve(1)!.release()
    expect([reclaimer.nudges, reclaimer.fullNudges]).toEqual([1, 0])
    load.busy = true
    budget.reserve(1)!.release() // 42 + 21: the next nudge, full while busy
    expect([reclaimer.nudges, reclaimer.fullNudges]).toEqual([2, 1])
  })

  test('after a large body, collects once the budget is quiet; once per large body', () => {
    const { reclaimer, budget, fire, armed } = harness()
    budget.reserve(30)!.release()
    expect(armed()).toBe(true)
    fire()
    expect(reclaimer.collections).toBe(1)
    budget.reserve(5)!.release()
    expect(armed()).toBe(false) // nothing large since
  })

  test('ordinary photos alone never cause the full collection', () => {
    const { budget, armed } = harness()
    for (let i = 0; i < 50; i++) budget.reserve(9)!.release()
    expect(armed()).toBe(false)
  })

  test('not while another large body is in flight; a new large body postpones it', () => {
    const { reclaimer, budget, fire, armed } = harness()
    const other = budget.reserve(25)!
    budget.reserve(30)!.release()
    expect(armed()).toBe(false) // 25 still in flight
    other.release()
    expect(armed()).toBe(true)
    budget.reserve(25) // busy again
    expect(armed()).toBe(false)
    fire()
    expect(reclaimer.collections).toBe(0)
  })

  test('photos in flight under the quiet level neither block nor postpone it', () => {
    const { reclaimer, budget, fire, armed } = harness()
    const photo = budget.reserve(5)!
    budget.reserve(30)!.release()
    expect(armed()).toBe(true)
    budget.reserve(3)
    expect(armed()).toBe(true)
    fire()
    expect(reclaimer.collections).toBe(1)
    photo.release()
  })
})
