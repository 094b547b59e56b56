import { describe, expect, test } from 'bun:test'
import { workerSessionOptions } from '../../src/inference/session-options'

// The worker's sessions run in worker threads, out of this process's sight: their options are checked here.
describe('workerSessionOptions', () => {
  test('the main session: its threads, one inter-op thread, sequential, full graph optimisation, no spinning', () => {
    expect(workerSessionOptions(1, false)).toEqual({
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: '0' } } }
    })
  })

  test('the execution provider is the configured one', () => {
    expect(workerSessionOptions(1, false, false, 'cuda').executionProviders).toEqual(['cuda'])
  })

  test('the lone session: spins within its run and stops as the run returns', () => {
    expect(workerSessionOptions(2, true, true).extra).toEqual({
      session: { intra_op: { allow_spinning: '1' }, force_spinning_stop: '1' }
    })
    expect(workerSessionOptions(2, true).extra).toEqual({ session: { intra_op: { allow_spinning: '1' } } })
  })
})
