import { availableParallelism } from 'node:os'
import { type Config, ConfigSchema } from '../config/schema'

/**
 * The settings whose defaults follow the host's cores, for one of `processes` server processes: its share of the
 * cores (cores ÷ N, at least 1). N processes each taking every core would oversubscribe the host N times (decodes at
 * once, the lone session's threads, which spin), and a process with more workers than its share of the cores only
 * adds threads contending for them, CPU per image the host pays. With `auto` (2 cores a process) the share is the
 * default already. A setting given explicitly is kept: `workersGiven` says whether BUN_INFER_WORKERS or --workers was.
 */
export function shareOfHost(
  config: Pick<Config, 'workers' | 'loneIntraOpThreads' | 'maxConcurrentDecodes'>,
  processes: number,
  workersGiven: boolean,
  cores = availableParallelism()
): Partial<Config> {
  const share = Math.max(1, Math.floor(cores / processes))
  return {
    ...(!workersGiven && { workers: Math.min(ConfigSchema.properties.workers.default, share) }),
    ...(config.loneIntraOpThreads === 0 && { loneIntraOpThreads: share }),
    ...(config.maxConcurrentDecodes === 0 && { maxConcurrentDecodes: share })
  }
}
