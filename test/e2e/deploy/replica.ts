import { launch, type ServerProcess } from '../../../tools/process/launch'

/**
 * A server process on a fixed port, once /health/ready answers there: for a replica restarted in place
 * behind nginx, or processes sharing one port (reusePort). `cwd`: run from another checkout.
 */
export function startOnPort(port: number, env: Record<string, string>, cwd?: string): Promise<ServerProcess> {
  return launch({
    cmd: ['bun', 'src/main.ts', '--host', '127.0.0.1', '--port', String(port)],
    env: { BUN_INFER_LOG_LEVEL: 'info', ...env },
    cwd
  })
}
