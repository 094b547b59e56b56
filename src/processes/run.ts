import type { Config } from '../config/schema'
import type { Logger } from '../log'
import { StartupFailed, Supervisor } from './supervisor'

/** The flag the supervisor gives each server process it starts: `--process-index=K` (shown by `ps`, too). */
export const PROCESS_INDEX_FLAG = '--process-index='
/** Given to the first process at its first start: it listens while its models load (supervised.ts says why). */
export const LISTEN_WHILE_LOADING_FLAG = '--listen-while-loading'

/**
 * Runs the supervisor of `processes` server processes until SIGTERM or SIGINT, then exits 0 once each has drained
 * and exited; exits with a process's status if one fails before all are ready. Each is this same program with the
 * same flags, its index, and the port (the one the first was given, when the setting is 0).
 */
export async function supervise(config: Readonly<Config>, processes: number, argv: readonly string[], log: Logger): Promise<void> {
  const supervisor = new Supervisor({
    processes,
    port: config.port,
    // The last --port wins over one in argv; the setting itself stays as given (BUN_INFER_PROCESSES, the rest).
    command: (index, port, listenWhileLoading) => [
      process.execPath,
      Bun.main,
      ...argv,
      `${PROCESS_INDEX_FLAG}${index}`,
      ...(listenWhileLoading ? [LISTEN_WHILE_LOADING_FLAG] : []),
      '--port',
      String(port)
    ],
    drainTimeoutMs: config.drainTimeoutMs,
    log
  })
  let stopping = false
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    log.info('draining', { signal, processes, drain_timeout_ms: config.drainTimeoutMs })
    await supervisor.stop(signal)
    log.info('stopped', { processes })
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
  log.info('starting server processes', { processes, port: config.port })
  try {
    await supervisor.start()
  } catch (error) {
    // The process that failed said why on stderr; its status becomes the container's.
    if (error instanceof StartupFailed) process.exit(error.code)
    throw error
  }
}
