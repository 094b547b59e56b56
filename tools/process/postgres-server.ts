import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { freePort } from './redis-server'

/** A real PostgreSQL server owned by one test file: its own cluster in a temporary folder, on a free port. */
export interface PostgresServer {
  readonly port: number
  /** postgres://… for the cluster's superuser, no password (trust on loopback only). */
  readonly url: string
  readonly running: boolean
  /** Starts (or restarts, on the same port and data) and resolves once it accepts connections. */
  start(): Promise<void>
  /** Fast shutdown (SIGINT: open sessions are cut) and resolves when the process has exited. Safe to call twice. */
  stop(): Promise<void>
  /** stop(), then removes the cluster's folder. */
  destroy(): Promise<void>
}

/** The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/<version>/bin), if any. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] && join(root, versions[0], 'bin')
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user the Debian package creates. */
function asServerUser(cmd: string[]): string[] {
  if (process.getuid?.() !== 0) return cmd
  return ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--', ...cmd]
}

async function run(cmd: string[]): Promise<void> {
  const proc = Bun.spawn(asServerUser(cmd), { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
  if (code !== 0) throw new Error(`${cmd.join(' ')} exited ${code}: ${stdout}${stderr}`)
}

/** initdb in a temporary folder, then the server on a free port (127.0.0.1, its socket in that folder). */
export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = postgresBinDir()
  if (!bin) throw new Error('PostgreSQL is not installed (Debian: apt-get install -y postgresql)')
  const dir = mkdtempSync(join(tmpdir(), 'bun-infer-pg-'))
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresIds()
    chownSync(dir, uid, gid)
  }
  const data = join(dir, 'data')
  await run([join(bin, 'initdb'), '-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8'])
  const port = await freePort()
  let proc: Subprocess<'ignore', 'pipe', 'pipe'> | undefined

  const start = async () => {
    if (proc !== undefined && proc.exitCode === null) throw new Error('postgres already running')
    proc = Bun.spawn(
      asServerUser([
        join(bin, 'postgres'),
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off'
      ]),
      { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' }
    )
    await waitForReady(proc)
  }
  const stop = async () => {
    if (proc === undefined || proc.exitCode !== null) return
    proc.kill('SIGINT')
    const killer = setTimeout(() => proc?.kill('SIGKILL'), 10_000)
    await proc.exited
    clearTimeout(killer)
  }
  await start()
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    get running() {
      return proc !== undefined && proc.exitCode === null
    },
    start,
    stop,
    async destroy() {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'))
  if (!line) throw new Error('no postgres user (Debian: apt-get install -y postgresql creates it)')
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

/** Reads stderr (where postgres logs) until it accepts connections; fails with its output if it exits first. */
async function waitForReady(proc: Subprocess<'ignore', 'pipe', 'pipe'>): Promise<void> {
  const reader = proc.stderr.getReader()
  const decoder = new TextDecoder()
  let seen = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) throw new Error(`postgres exited (code ${await proc.exited}) before ready: ${seen}`)
    seen += decoder.decode(value, { stream: true })
    if (seen.includes('ready to accept connections')) break
  }
  void (async () => {
    for (;;) if ((await reader.read()).done) return
  })()
  void (async () => {
    for await (const _ of proc.stdout) {
      // drained so postgres never blocks on a full pipe
    }
  })()
}
