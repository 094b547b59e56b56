import { expect, test } from 'bun:test'
import { availableParallelism } from 'node:os'
import { sessionThreads } from '../../src/inference/threads'

test('lone threads: 0 means one per core; no more than the main session means no second session', () => {
  const cores = availableParallelism()
  expect(
    sessionThreads({ intraOpThreads: 1, loneIntraOpThreads: 0, intraOpSpinning: false, loneIntraOpSpinning: true }).loneIntraOpThreads
  ).toBe(cores > 1 ? cores : 0)
  expect(sessionThreads({ intraOpThreads: 1, loneIntraOpThreads: 4, intraOpSpinning: true, loneIntraOpSpinning: false })).toEqual({
    intraOpThreads: 1,
    loneIntraOpThreads: 4,
    spinning: true,
    loneSpinning: false,
    executionProvider: 'cpu'
  })
  expect(
    sessionThreads({ intraOpThreads: 2, loneIntraOpThreads: 2, intraOpSpinning: false, loneIntraOpSpinning: true }).loneIntraOpThreads
  ).toBe(0)
  expect(
    sessionThreads({ intraOpThreads: 1, loneIntraOpThreads: 1, intraOpSpinning: false, loneIntraOpSpinning: true }).loneIntraOpThreads
  ).toBe(0)
})
