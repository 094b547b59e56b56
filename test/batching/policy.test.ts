import { describe, expect, test } from 'bun:test'
import { decideBackground, decideBatch, type BatchDecision } from '../../src/batching/policy'

const config = { maxBatchSize: 8, maxBatchDelayMs: 10 }

// [case, queued images, oldest enqueued at, idle workers, busy workers, now, expected]
const table: Array<[string, number, number, number, number, number, BatchDecision]> = [
  ['empty queue', 0, 0, 2, 0, 100, { kind: 'idle' }],
  ['all workers busy', 3, 90, 0, 2, 100, { kind: 'await-worker' }],
  ['all busy even when full', 20, 0, 0, 2, 100, { kind: 'await-worker' }],
  ['lone request, idle server: no waiting', 1, 100, 2, 0, 100, { kind: 'dispatch', size: 1, reason: 'system-idle' }],
  ['partial batch, idle server', 5, 99, 1, 0, 100, { kind: 'dispatch', size: 5, reason: 'system-idle' }],
  ['idle server, two idle workers: spread', 5, 99, 2, 0, 100, { kind: 'dispatch', size: 3, reason: 'system-idle' }],
  ['idle server, more idle workers than images', 2, 99, 4, 0, 100, { kind: 'dispatch', size: 1, reason: 'system-idle' }],
  ['full batch', 8, 100, 1, 1, 100, { kind: 'dispatch', size: 8, reason: 'full' }],
  ['more than full: max size', 20, 100, 1, 1, 100, { kind: 'dispatch', size: 8, reason: 'full' }],
  ['partial, others busy, window open: wait the rest', 3, 96, 1, 1, 100, { kind: 'wait', ms: 6 }],
  ['partial, others busy, window just closed', 3, 90, 1, 1, 100, { kind: 'dispatch', size: 3, reason: 'delay-elapsed' }],
  ['partial, others busy, window long past', 3, 0, 1, 1, 100, { kind: 'dispatch', size: 3, reason: 'delay-elapsed' }]
]

describe('decideBatch', () => {
  for (const [name, length, oldest, idle, busy, now, expected] of table)
    test(name, () => {
      expect(decideBatch({ length, oldestEnqueuedAt: oldest }, { idle, busy }, now, config)).toEqual(expected)
    })

  test('delay 0 never waits', () => {
    const decision = decideBatch({ length: 2, oldestEnqueuedAt: 100 }, { idle: 1, busy: 1 }, 100, { maxBatchSize: 8, maxBatchDelayMs: 0 })
    expect(decision).toEqual({ kind: 'dispatch', size: 2, reason: 'delay-elapsed' })
  })

  test('delay 0 still spreads a lone request over the idle workers', () => {
    const decision = decideBatch({ length: 4, oldestEnqueuedAt: 100 }, { idle: 2, busy: 0 }, 100, { maxBatchSize: 8, maxBatchDelayMs: 0 })
    expect(decision).toEqual({ kind: 'dispatch', size: 2, reason: 'system-idle' })
  })

  test('max batch 1 dispatches every image alone', () => {
    const decision = decideBatch({ length: 5, oldestEnqueuedAt: 100 }, { idle: 1, busy: 1 }, 100, { maxBatchSize: 1, maxBatchDelayMs: 10 })
    expect(decision).toEqual({ kind: 'dispatch', size: 1, reason: 'full' })
  })
})

describe('decideBackground', () => {
  const view = { background: 10, interactiveWaiting: 0, interactiveInFlight: 0, backgroundBatchesRunning: 0, idleWorkers: 2 }
  // [case, what differs from `view`, expected]
  const cases: Array<[string, Partial<typeof view>, ReturnType<typeof decideBackground>]> = [
    ['nothing in the background', { background: 0 }, { kind: 'idle' }],
    ['an interactive image waits: it goes first', { interactiveWaiting: 1 }, { kind: 'idle' }],
    ['every worker busy', { idleWorkers: 0 }, { kind: 'idle' }],
    ['no request in flight: a small batch on each idle worker', { backgroundBatchesRunning: 1 }, { kind: 'dispatch', size: 4 }],
    ['requests in flight, no job batch running: one', { interactiveInFlight: 3 }, { kind: 'dispatch', size: 4 }],
    ['requests in flight and a job batch running: no second', { interactiveInFlight: 3, backgroundBatchesRunning: 1 }, { kind: 'idle' }],
    ['fewer images than a batch', { background: 3 }, { kind: 'dispatch', size: 3 }]
  ]
  for (const [name, differs, expected] of cases)
    test(name, () => {
      expect(decideBackground({ ...view, ...differs }, 4)).toEqual(expected)
    })
})
