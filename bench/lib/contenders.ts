/** The HTTP contenders: how each is started. The limit is not here (no HTTP): see bench/limit.ts. */
import { launch, type ServerProcess } from '../../tools/process/launch'

export interface HttpContender {
  name: 'naive' | 'batch-off' | 'server'
  description: string
  cmd: string[]
  env: Record<string, string>
}

// Every server listens on 127.0.0.1 on a port the kernel picks; per-request logs are silenced
// because writing them is not what is being measured (the harness finds the port in /proc).
const SERVER_ENV = { BUN_INFER_HOST: '127.0.0.1', BUN_INFER_PORT: '0', BUN_INFER_LOG_LEVEL: 'warn' }

export const HTTP_CONTENDERS: readonly HttpContender[] = [
  {
    name: 'naive',
    description: 'bench/baselines/naive-server.ts: Bun.serve, sharp + session.run per request on the HTTP thread',
    cmd: ['bun', 'bench/baselines/naive-server.ts', '--port', '0'],
    env: {}
  },
  {
    name: 'batch-off',
    description: 'bun-infer with BUN_INFER_MAX_BATCH_SIZE=1 (worker pool, no batching)',
    cmd: ['bun', 'src/main.ts'],
    env: { ...SERVER_ENV, BUN_INFER_MAX_BATCH_SIZE: '1' }
  },
  {
    name: 'server',
    description: 'bun-infer with default settings',
    cmd: ['bun', 'src/main.ts'],
    env: SERVER_ENV
  }
]

/** Starts one contender from the repository root. */
export function startContender(contender: HttpContender, root: string): Promise<ServerProcess> {
  return launch({ cmd: contender.cmd, env: contender.env, cwd: root, warnIfGone: true })
}

/** The echo server (baselines/echo-server.ts), busy `holdMs` per request: what HTTP alone costs beside a contender. */
export const echoCommand = (holdMs: number) => ['bun', 'bench/baselines/echo-server.ts', '--port', '0', '--hold-ms', holdMs.toFixed(2)]

/** Starts the echo server from the repository root. */
export function startEcho(holdMs: number, root: string): Promise<ServerProcess> {
  return launch({ cmd: echoCommand(holdMs), cwd: root, warnIfGone: true })
}
