import { launch, type ServerProcess } from '../../tools/process/launch'

export type { ServerProcess }

/**
 * Starts `bun src/main.ts` (real models, real sockets) with the given BUN_INFER_* env and waits until it is
 * 'ready', or only 'listening' to catch it while models load. Only the end-to-end suites in test/e2e use it.
 */
export function startServerProcess(env: Record<string, string> = {}, waitFor: 'ready' | 'listening' = 'ready'): Promise<ServerProcess> {
  // The result cache is off unless a test turns it on: repeated fixture photos must reach the workers.
  return launch({ env: { BUN_INFER_LOG_LEVEL: 'info', BUN_INFER_MAX_CACHE_ENTRIES: '0', ...env }, waitFor })
}
