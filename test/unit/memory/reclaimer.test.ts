import { describe, expect, test } from 'bun:test'
import { ByteBudget } from '../../../src/http/byte-budget'
import { Reclaimer } from '../../../src/memory/reclaimer'

/** A reclaimer with a hand-driven timer: `fire()` runs what is pending, as if `quietMs` had passed. */
function harness(thresholdBytes: number, quietBelowBytes = 1) {
  let pending: (() => void) | undefined
  const collector = new Reclaimer({
    thresholdBytes,
    quietMs: 1000,
    quietBelowBytes,
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
  return { collector, budget: new ByteBudget(100, 100, collector), fire, armed: () => pending !== undefined }
}

describe('Reclaimer', () => {
  test('nudges at once and collects once the budget is idle, each after enough bytes were released', () => {
    const { collector, budget, fire, armed } = harness(50)
    budget.reserve(30)!.release()
    expect([armed(), collector.nudges]).toEqual([false, 0]) // 30 < 50 released
    budget.reserve(30)!.release()
    expect([armed(), collector.nudges]).toEqual([true, 1])
    fire()
    expect(collector.collections).toBe(1)
    budget.reserve(30)!.release()
    expect(armed()).toBe(false) // the count starts again after a collection
  })

  test('the idle collection never runs while a large body is in flight, and a new one postpones it', () => {
    const { collector, budget, fire, armed } = harness(10)
    const slow = budget.reserve(5)!
    budget.reserve(20)!.release()
    expect(armed()).toBe(false) // 5 bytes still in flight
    slow.release()
    expect(armed()).toBe(true)
    budget.reserve(1) // the server is busy again
    expect(armed()).toBe(false)
    fire()
    expect(collector.collections).toBe(0)
  })

  test('small bodies below the quiet level neither block nor postpone it', () => {
    const { collector, budget, fire, armed } = harness(50, 10)
    const photo = budget.reserve(5)! // an ordinary photo in flight
    budget.reserve(60)!.release() // a large body done
    expect(armed()).toBe(true)
    budget.reserve(3) // more photos arrive: still quiet
    expect(armed()).toBe(true)
    fire()
    expect(collector.collections).toBe(1)
    photo.release()
  })
})
