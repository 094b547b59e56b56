/**
 * Composition root: config → server → signals. `bun src/main.ts [--port N] [--models-dir DIR] ...`
 */
import { deprecationWarnings, loadConfig } from './config/load'
import { createLogger } from './log'
import { startServer } from './server'

let config
try {
  config = loadConfig(process.env, process.argv.slice(2))
} catch (error) {
  console.error(`bun-infer: ${(error as Error).message}`)
  process.exit(2)
}
const log = createLogger(config.logLevel)
for (const warning of deprecationWarnings(process.env)) log.warn('deprecated setting', { warning })

try {
  const server = await startServer(config, log)
  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info('draining', { signal, drain_timeout_ms: config.drainTimeoutMs })
    const { drained } = await server.stop()
    log.info('stopped', { drained })
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
} catch (error) {
  console.error(`bun-infer: cannot start: ${(error as Error).message}`)
  process.exit(1)
}
