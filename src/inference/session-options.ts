import type { InferenceSession } from 'onnxruntime-node'
import type { ExecutionProvider } from './providers'

/**
 * The options of every session a worker creates (and of the micro-benchmarks that measure those sessions off a
 * worker). `spinning`: session.intra_op.allow_spinning — off, idle intra-op threads sleep instead of busy-waiting, so
 * a session's spare threads do not take CPU from decoding or from the other workers. `stopAfterRun`:
 * session.force_spinning_stop — they busy-wait between the steps of a run (a lone image's latency would otherwise
 * pay a thread wake-up at every step) and stop as the run returns, which suits the lone session: it has the cores
 * only for its run.
 */
export function workerSessionOptions(
  intraOpThreads: number,
  spinning: boolean,
  stopAfterRun = false,
  executionProvider: ExecutionProvider = 'cpu'
): InferenceSession.SessionOptions {
  return {
    executionProviders: [executionProvider],
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: spinning ? '1' : '0' }, ...(stopAfterRun ? { force_spinning_stop: '1' } : {}) } }
  }
}
