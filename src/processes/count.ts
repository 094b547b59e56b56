import { availableParallelism } from 'node:os'
import type { Config } from '../config/schema'

/**
 * How many server processes BUN_INFER_PROCESSES asks for. `auto` is one per 2 cores: each process has one JS thread
 * (HTTP, parsing, batching) beside its workers, and one process with 2 workers × 1 intra-op thread per 2 cores is
 * the layout that scaled best (docs/performance.md#sizing).
 */
export function processCount(setting: Config['processes'], cores = availableParallelism()): number {
  return setting === 'auto' ? Math.max(1, Math.floor(cores / 2)) : setting
}
