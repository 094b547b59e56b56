import { join } from 'node:path'
import type { Subprocess } from 'bun'

const ROOT = join(import.meta.dir, '../..')

export interface ServerProcess {
  url: string
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  /** Every stdout line so far (JSON logs). */
  logs: string[]
  /** Sends the signal and resolves with the exit code (SIGKILL after 30 s). */
  stop(signal?: NodeJS.Signals): Promise<number>
}

/**
 * Starts `bun src/main.ts` on an ephemeral port (or BUN_INFER_PORT) with the given env (BUN_INFER_* settings) and waits for
 * the log line `until` ('ready' by default, or 'listening' to catch the server while models load).
 */
export async function startServerProcess(
  env: Record<string, string> = {},
  until: 'ready' | 'listening' = 'ready',
  /** The checkout to run from (a production install in a temp folder, say); this repository by default. */
  cwd: string = ROOT
): Promise<ServerProcess> {
  // A fixed BUN_INFER_PORT is for tests that restart a replica in place or share a port (reusePort).
  const proc = Bun.spawn(['bun', 'src/main.ts', '--port', env.BUN_INFER_PORT ?? '0', '--host', '127.0.0.1'], {
    cwd,
    // The result cache is off unless a test turns it on: repeated fixture photos must reach the workers.
    env: { ...process.env, BUN_INFER_LOG_LEVEL: 'info', BUN_INFER_CACHE_MAX_ENTRIES: '0', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe'
  })
  const logs: string[] = []
  let port: number | undefined
  const decoder = new TextDecoder()
  const reader = proc.stdout.getReader()
  let pending = ''
  const portFound = (async () => {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return undefined
      pending += decoder.decode(value, { stream: true })
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) {
        logs.push(line)
        if (port === undefined && line.includes(`"msg":"${until}"`)) {
          port = JSON.parse(line).port as number
          return port
        }
      }
    }
  })()
  const found = await portFound
  if (found === undefined) {
    const stderr = await new Response(proc.stderr).text()
    throw new Error(`server exited before "${until}" (code ${await proc.exited}): ${stderr}`)
  }
  // Keep draining stdout so the server never blocks on a full pipe.
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      pending += decoder.decode(value, { stream: true })
      const lines = pending.split('\n')
      pending = lines.pop()!
      logs.push(...lines)
    }
  })()
  return {
    url: `http://127.0.0.1:${found}`,
    proc,
    logs,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null) return proc.exitCode
      proc.kill(signal)
      const killer = setTimeout(() => proc.kill('SIGKILL'), 30_000)
      const code = await proc.exited
      clearTimeout(killer)
      return code
    }
  }
}
