/**
 * Composition root: config → server → signals. `bun src/main.ts [--port N] [--models-dir DIR] ...` (`--help` lists all)
 * With BUN_INFER_PROCESSES above 1 this process is the supervisor (src/processes/), and each server process it starts
 * runs this file again with `--process-index=K`.
 */
import type { Config } from './config/schema'
import { deprecationWarnings, loadConfig, settingGiven } from './config/load'
import { usage } from './config/usage'
import { describeUnknown, unknownSettings } from './config/unknown-settings'
import { createLogger } from './log'
import { processCount } from './processes/count'
import { LISTEN_WHILE_LOADING_FLAG, PROCESS_INDEX_FLAG, supervise } from './processes/run'
import { SupervisorLink } from './processes/supervised'
import { shareOfHost } from './processes/share'
import pkg from '../package.json'

// --strict: an unknown BUN_INFER_ variable stops startup instead of a warning.
const strict = process.argv.includes('--strict')
const indexFlag = process.argv.find((arg) => arg.startsWith(PROCESS_INDEX_FLAG))
const processIndex = indexFlag === undefined ? undefined : Number(indexFlag.slice(PROCESS_INDEX_FLAG.length))
const listenWhileLoading = process.argv.includes(LISTEN_WHILE_LOADING_FLAG)
const argv = process.argv
  .slice(2)
  .filter((arg) => arg !== '--strict' && arg !== LISTEN_WHILE_LOADING_FLAG && !arg.startsWith(PROCESS_INDEX_FLAG))
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(usage(pkg.version))
  process.exit(0)
}
if (argv.includes('--version')) {
  process.stdout.write(pkg.version + '\n')
  process.exit(0)
}
if (processIndex !== undefined && (!Number.isInteger(processIndex) || processIndex < 0 || !process.send)) {
  console.error(`bun-infer: ${PROCESS_INDEX_FLAG}K is given by the supervisor (BUN_INFER_PROCESSES), with its IPC channel`)
  process.exit(2)
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
const processes = processCount(config.processes)
// A server process of several shares the port with the others, says which of them answered, and takes its share of
// the cores where a default follows them.
if (processIndex !== undefined)
  config = Object.freeze({
    ...config,
    ...shareOfHost(config, processes, settingGiven('workers', process.env, argv)),
    reusePort: true,
    instanceId: config.instanceId && `${config.instanceId}/${processIndex}`
  })
const log = createLogger(config.logLevel, undefined, processIndex === undefined ? {} : { process: processIndex })
// The supervisor has said these once for the container.
if (processIndex === undefined) {
  for (const warning of deprecationWarnings(process.env)) log.warn('deprecated setting', { warning })
  for (const { variable, nearest } of unknown) log.warn('unknown setting, ignored', { variable, did_you_mean: nearest })
}

if (processIndex === undefined && processes > 1) await supervise(config, processes, argv, log)
else await serve()

async function serve(): Promise<void> {
  // Imported here, so a supervisor never loads the models' libraries (onnxruntime, sharp) it does not use.
  const { startServer } = await import('./server')
  const supervisor =
    processIndex === undefined
      ? undefined
      : new SupervisorLink(
          processIndex,
          { send: (message) => process.send!(message), on: (event, listener) => process.on(event, listener) },
          listenWhileLoading
        )
  let server: Awaited<ReturnType<typeof startServer>> | undefined
  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping || !server) return
    stopping = true
    log.info('draining', { signal, drain_timeout_ms: config.drainTimeoutMs })
    const { drained } = await server.stop()
    log.info('stopped', { drained })
    process.exit(0)
  }
  // Its supervisor is gone (killed): nothing would forward a signal or restart it, so it drains and leaves the port.
  if (supervisor) process.on('disconnect', () => (server ? void shutdown('supervisor gone') : process.exit(1)))
  try {
    server = await startServer(config, log, { supervisor })
  } catch (error) {
    console.error(`bun-infer: cannot start: ${(error as Error).message}`)
    process.exit(1)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}
