/**
 * The one way tests, the bench and the reliability scripts start a server process: spawn it on 127.0.0.1
 * port 0, find the port (a JSON log line with `port`, or /proc when logs are silenced), wait for it to listen
 * or to be ready, keep its output, and stop it by pid.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { listeningPorts, processTree } from './procfs'

export const ROOT = join(import.meta.dir, '../..')
export const SERVER_CMD = ['bun', 'src/main.ts', '--host', '127.0.0.1', '--port', '0']

export interface LaunchOptions {
  /** Default: bun-infer itself (SERVER_CMD). The command must listen on 127.0.0.1 and an ephemeral port. */
  cmd?: string[]
  env?: Record<string, string>
  /** Default: the repository root. */
  cwd?: string
  /** 'listening': as soon as the port answers (models may still load); 'ready' (default): /health/ready is 200. */
  waitFor?: 'listening' | 'ready'
  timeoutMs?: number
  /** Print a warning (with its last lines) when stop() finds the process already gone: the bench wants to know. */
  warnIfGone?: boolean
  /** The server speaks HTTPS with a certificate this CA (PEM) signed: probe it over https, trusting only that CA. */
  ca?: string
}

export interface ServerProcess {
  pid: number
  port: number
  url: string
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  /** Every stdout line so far (JSON logs). */
  logs: string[]
  startupMs: number
  /** The last lines of stdout and stderr, for error messages. */
  tail(): string
  /** Sends `signal` (SIGKILL after 30 s) and resolves with the exit code; at once if it has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

const live = new Set<Subprocess>()

/** Kills every process still running; the bench wires it to exit and signals so nothing outlives it. */
export function killAll(): void {
  for (const proc of live) {
    try {
      process.kill(proc.pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  live.clear()
}

/** Reads a stream line by line into `into` (which also keeps the child from blocking on a full pipe). */
function drain(stream: ReadableStream<Uint8Array>, into: string[], onLine: (line: string) => void = () => {}): void {
  const decoder = new TextDecoder()
  let partial = ''
  void (async () => {
    for await (const chunk of stream) {
      const parts = (partial + decoder.decode(chunk, { stream: true })).split('\n')
      partial = parts.pop() ?? ''
      for (const line of parts) {
        into.push(line)
        onLine(line)
      }
    }
  })().catch(() => {})
}

function portOf(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    const port = (JSON.parse(line) as { port?: unknown }).port
    return typeof port === 'number' && port > 0 ? port : undefined
  } catch {
    return undefined
  }
}

async function answers(url: string, path: string, ca?: string): Promise<boolean> {
  try {
    const response = await fetch(url + path, { signal: AbortSignal.timeout(1000), ...(ca && { tls: { ca } }) })
    await response.arrayBuffer()
    return path === '/health/live' || response.ok
  } catch {
    return false
  }
}

/**
 * A data folder of its own (the prediction log) unless the caller names one: nothing lands in the repository, and
 * no two servers share a log by accident.
 */
function ownDataDirFor(env: Record<string, string> | undefined): string | undefined {
  if (env?.BUN_INFER_DATA_DIR) return undefined
  return mkdtempSync(join(tmpdir(), 'bun-infer-data-'))
}

/** Starts the process and resolves once it listens (or is ready); rejects with its output if it exits first. */
export async function launch(options: LaunchOptions = {}): Promise<ServerProcess> {
  const cmd = options.cmd ?? SERVER_CMD
  const started = performance.now()
  const ownDataDir = ownDataDirFor(options.env)
  const proc = Bun.spawn(cmd, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...(ownDataDir && { BUN_INFER_DATA_DIR: ownDataDir }), ...options.env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe'
  })
  live.add(proc)
  const logs: string[] = []
  const stderr: string[] = []
  let port = 0
  drain(proc.stdout, logs, (line) => (port ||= portOf(line) ?? 0))
  drain(proc.stderr, stderr)
  const tail = () => [...logs.slice(-30), ...stderr.slice(-30)].join('\n')
  let stopping = false
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      if (options.warnIfGone && !stopping)
        process.stderr.write(`warning: ${cmd.join(' ')} had already exited (code ${proc.exitCode}, signal ${proc.signalCode})\n${tail()}\n`)
      live.delete(proc)
      if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true })
      return proc.exitCode
    }
    stopping = true
    proc.kill(signal)
    const killer = setTimeout(() => proc.kill('SIGKILL'), 30_000)
    const code = await proc.exited
    clearTimeout(killer)
    live.delete(proc)
    if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true })
    return code
  }
  const probe = options.waitFor === 'listening' ? '/health/live' : '/health/ready'
  const scheme = options.ca ? 'https' : 'http'
  const timeoutMs = options.timeoutMs ?? 60_000
  try {
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`exited (code ${proc.exitCode}, signal ${proc.signalCode}) before it was ready`)
      if (performance.now() - started > timeoutMs) throw new Error(`not ready after ${timeoutMs} ms`)
      // A supervisor (BUN_INFER_PROCESSES) listens through its server processes.
      port ||= processTree(proc.pid).flatMap(listeningPorts)[0] ?? 0
      if (port && (await answers(`${scheme}://127.0.0.1:${port}`, probe, options.ca))) break
      await Bun.sleep(20) // polling a condition (the port, then the probe), bounded by timeoutMs
    }
  } catch (error) {
    await stop('SIGKILL')
    await Bun.sleep(0)
    throw new Error(`${cmd.join(' ')}: ${(error as Error).message}\n${tail()}`)
  }
  return {
    pid: proc.pid,
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    proc,
    logs,
    startupMs: Math.round(performance.now() - started),
    tail,
    stop
  }
}

/** Runs the command to its exit (a startup that must fail, say) and returns its exit code and output. */
export async function runToExit(options: Pick<LaunchOptions, 'cmd' | 'env' | 'cwd'> & { timeoutMs?: number } = {}) {
  const ownDataDir = ownDataDirFor(options.env)
  const proc = Bun.spawn(options.cmd ?? SERVER_CMD, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...(ownDataDir && { BUN_INFER_DATA_DIR: ownDataDir }), ...options.env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe'
  })
  const killer = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs ?? 60_000)
  try {
    const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
    return { code, stdout, stderr }
  } finally {
    clearTimeout(killer)
    if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true })
  }
}
