import { describe, expect, test } from 'bun:test'
import { Breaker } from '../../src/cache/breaker'

describe('Breaker', () => {
  test('opens after threshold consecutive failures, for cooldownMs, then lets requests through', () => {
    let t = 0
    const b = new Breaker(3, 1000, () => t)
    b.failure()
    b.failure()
    expect(b.allows()).toBe(true)
    b.failure()
    expect(b.allows()).toBe(false)
    t = 999
    expect(b.allows()).toBe(false)
    t = 1000
    expect(b.allows()).toBe(true)
  })

  test('after the cooldown one more failure reopens it and one success closes it', () => {
    let t = 0
    const b = new Breaker(2, 100, () => t)
    b.failure()
    b.failure()
    t = 100
    b.failure()
    expect(b.allows()).toBe(false)
    t = 200
    b.success()
    b.failure()
    expect(b.allows()).toBe(true)
  })

  test('a success in between resets the count', () => {
    const b = new Breaker(2, 100, () => 0)
    b.failure()
    b.success()
    b.failure()
    expect(b.allows()).toBe(true)
  })
})
