/**
 * Composition root: config → server → signals. `bun src/main.ts [--port N] [--models-dir DIR] ...` (`--help` lists all)
 */
import type { Config } from './config/schema'
import { deprecationWarnings, loadConfig } from './config/load'
import { usage } from './config/usage'
import { describeUnknown, unknownSettings } from './config/unknown-settings'
import { createLogger } from './log'
import { startServer } from './server'
import pkg from '../package.json'

// --strict: an unknown BUN_INFER_ variable stops startup instead of a warning.
const strict = process.argv.includes('--strict')
const argv = process.argv.slice(2).filter((arg) => arg !== '--strict')
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(usage(pkg.version))
  process.exit(0)
}
if (argv.includes('--version')) {
  process.stdout.write(pkg.version + '\n')
  process.exit(0)
}

const unknown = unknownSettings(process.env)
if (strict && unknown.length > 0) {
  console.error(`bun-infer: unknown settings (--strict): ${unknown.map(describeUnknown).join(', ')}`)
  process.exit(2)
}

let config: Readonly<Config>
try {
  config = loadConfig(process.env, argv)
} catch (error) {
  console.error(`bun-infer: ${(error as Error).message}`)
  process.exit(2)
}
const log = createLogger(config.logLevel)
for (const warning of deprecationWarnings(process.env)) log.warn('deprecated setting', { warning })
for (const { variable, nearest } of unknown) log.warn('unknown setting, ignored', { variable, did_you_mean: nearest })

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
