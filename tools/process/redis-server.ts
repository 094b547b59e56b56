import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import type { Subprocess } from 'bun'

/** A real `redis-server` child process owned by one test file; every method waits for its effect. */
export interface RedisServer {
  readonly port: number
  readonly url: string
  /** Whether the process is running (false after stop() until start()). */
  readonly running: boolean
  /** Starts (or restarts, on the same port) and resolves once it accepts connections. */
  start(): Promise<void>
  /** SIGTERM (SIGKILL after 5 s) and resolves when the process has exited. Safe to call twice. */
  stop(): Promise<void>
  /** SIGSTOP: the socket stays open but nothing answers, the way a stalled Redis looks to a client. */
  pause(): void
  /** SIGCONT after pause(). */
  resume(): void
}

/** Asks the kernel for a free TCP port by listening on port 0, then releases it. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('listen(0) gave no port')
  return address.port
}

/** True when `redis-server` is on PATH (CI installs the Debian package). */
export function redisServerAvailable(): boolean {
  return Bun.which('redis-server') !== null
}

/** Starts `redis-server` on a free port with persistence off. The caller must `stop()` it in afterAll. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort()
  let proc: Subprocess<'ignore', 'pipe', 'pipe'> | undefined
  let paused = false

  const start = async (): Promise<void> => {
    if (proc !== undefined && proc.exitCode === null) throw new Error('redis-server already running')
    if (!redisServerAvailable()) throw new Error('redis-server is not on PATH (Debian: apt-get install -y redis-server)')
    proc = Bun.spawn(
      // --save '' and --appendonly no: nothing touches disk, so a restart comes back empty.
      ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()],
      { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' }
    )
    await waitForReady(proc)
  }

  const resume = (): void => {
    if (proc !== undefined && paused) proc.kill('SIGCONT')
    paused = false
  }

  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return proc !== undefined && proc.exitCode === null
    },
    start,
    async stop() {
      if (proc === undefined || proc.exitCode !== null) return
      resume() // a stopped process cannot act on SIGTERM
      proc.kill('SIGTERM')
      const killer = setTimeout(() => proc?.kill('SIGKILL'), 5_000)
      await proc.exited
      clearTimeout(killer)
    },
    pause() {
      if (proc === undefined || proc.exitCode !== null) throw new Error('redis-server is not running')
      proc.kill('SIGSTOP')
      paused = true
    },
    resume
  }
}

/** Reads stdout until redis logs that it accepts connections; fails with its output if it exits first. */
async function waitForReady(proc: Subprocess<'ignore', 'pipe', 'pipe'>): Promise<void> {
  const reader = proc.stdout.getReader()
  const decoder = new TextDecoder()
  let seen = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) {
      const stderr = await new Response(proc.stderr).text()
      throw new Error(`redis-server exited (code ${await proc.exited}) before ready: ${seen}${stderr}`)
    }
    seen += decoder.decode(value, { stream: true })
    if (seen.includes('Ready to accept connections')) break
  }
  // Keep draining so redis never blocks on a full stdout pipe.
  void (async () => {
    for (;;) if ((await reader.read()).done) return
  })()
}
