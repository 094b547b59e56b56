/** Starts a server as a child process, finds its ephemeral port, waits for readiness, and stops it by pid. */
import type { Subprocess } from 'bun'
import { listeningPorts } from './procfs'

export interface ChildServer {
  pid: number
  url: string
  startupMs: number
  /** Last lines of its stdout/stderr, for error messages. */
  tail(): string
  stop(): Promise<void>
}

const live = new Set<Subprocess>()

/** Kills every child still running; wired to exit and signals by run.ts so nothing outlives the harness. */
export function killAllChildren(): void {
  for (const proc of live) {
    try {
      process.kill(proc.pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  live.clear()
}

/** Keeps the last lines of a stream; reading it also keeps the child from blocking on a full pipe. */
function drain(stream: ReadableStream<Uint8Array>, lines: string[], onLine: (line: string) => void): void {
  const decoder = new TextDecoder()
  let partial = ''
  void (async () => {
    for await (const chunk of stream) {
      const text = partial + decoder.decode(chunk, { stream: true })
      const parts = text.split('\n')
      partial = parts.pop() ?? ''
      for (const line of parts) {
        onLine(line)
        lines.push(line)
        if (lines.length > 40) lines.shift()
      }
    }
  })().catch(() => {})
}

async function isReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1000) })
    await response.arrayBuffer()
    return response.ok
  } catch {
    return false
  }
}

/**
 * Spawns `cmd` (which must listen on 127.0.0.1 port 0), takes the port from a JSON log line with a
 * `port` field or, when logs are silenced, from /proc, then polls /health/ready.
 */
export async function startChild(cmd: string[], env: Record<string, string>, cwd: string, timeoutMs = 60_000): Promise<ChildServer> {
  const started = performance.now()
  const proc = Bun.spawn(cmd, { cwd, env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' })
  live.add(proc)
  const lines: string[] = []
  let port = 0
  const onLine = (line: string) => {
    if (port || !line.startsWith('{')) return
    try {
      const parsed = JSON.parse(line) as { port?: unknown }
      if (typeof parsed.port === 'number') port = parsed.port
    } catch {
      // Not JSON: ignore.
    }
  }
  drain(proc.stdout, lines, onLine)
  drain(proc.stderr, lines, () => {})
  const stop = async () => {
    if (!live.has(proc)) return
    live.delete(proc)
    if (proc.exitCode !== null || proc.signalCode !== null) {
      // It died on its own during the run: say so (with its last words) rather than hide it.
      process.stderr.write(`warning: ${cmd.join(' ')} had already exited (code ${proc.exitCode}, signal ${proc.signalCode})\n${lines.slice(-10).join('\n')}\n`)
      return
    }
    proc.kill('SIGTERM')
    const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)])
    if (!exited) proc.kill('SIGKILL')
  }
  try {
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`exited with code ${proc.exitCode} before it was ready`)
      if (performance.now() - started > timeoutMs) throw new Error(`not ready after ${timeoutMs} ms`)
      if (!port) port = listeningPorts(proc.pid)[0] ?? 0
      if (port && (await isReady(`http://127.0.0.1:${port}`))) break
      await Bun.sleep(50)
    }
  } catch (error) {
    await stop()
    throw new Error(`${cmd.join(' ')}: ${(error as Error).message}\n${lines.join('\n')}`)
  }
  return {
    pid: proc.pid,
    url: `http://127.0.0.1:${port}`,
    startupMs: Math.round(performance.now() - started),
    tail: () => lines.join('\n'),
    stop
  }
}
