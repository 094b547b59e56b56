import { availableParallelism } from 'node:os'
import type { Config } from '../config/schema'
import type { SessionThreads } from './protocol'

/**
 * The workers' session threads from config. A lone session with 0 threads means one per CPU core; one
 * with no more threads than the main session would be the same session twice, so there is none.
 */
export function sessionThreads(
  config: Pick<Config, 'intraOpThreads' | 'loneIntraOpThreads' | 'intraOpSpinning' | 'loneIntraOpSpinning'> & {
    executionProvider?: Config['executionProvider']
  }
): SessionThreads {
  const lone = config.loneIntraOpThreads || availableParallelism()
  return {
    intraOpThreads: config.intraOpThreads,
    loneIntraOpThreads: lone > config.intraOpThreads ? lone : 0,
    spinning: config.intraOpSpinning,
    loneSpinning: config.loneIntraOpSpinning,
    executionProvider: config.executionProvider ?? 'cpu'
  }
}
