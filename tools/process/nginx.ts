import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { freePort } from './redis-server'

const TEMPLATE = join(import.meta.dir, '../../deploy/nginx/bun-infer.conf.template')
// Debian installs nginx in /usr/sbin, which a non-root PATH may lack.
const NGINX = Bun.which('nginx') ?? Bun.which('nginx', { PATH: '/usr/sbin:/usr/local/sbin' })

export interface Upstream {
  port: number
  /** Marked `down`: nginx sends it nothing (how an operator takes a replica out before restarting it). */
  down?: boolean
}

/** A real `nginx` master process (foreground, own prefix in a temp folder) serving deploy/nginx's config. */
export interface NginxProcess {
  readonly port: number
  readonly url: string
  /** With TLS: the HTTPS origin (plain HTTP at `url` then only redirects there). */
  readonly httpsUrl?: string
  readonly pid: number
  /** The access log so far: one JSON object per request (see log_format bun_infer_json). */
  accessLog(): Promise<Array<Record<string, unknown>>>
  /** Rewrites the upstream list, reloads (SIGHUP), and resolves once every worker of the old config has exited. */
  reload(upstreams: readonly Upstream[]): Promise<void>
  /** Fast shutdown (SIGTERM), resolves when the master has exited; removes the temp folder. */
  stop(): Promise<void>
}

const TLS_TEMPLATE = join(import.meta.dir, '../../deploy/nginx/bun-infer-tls.conf.template')
const PROXY_CONF = join(import.meta.dir, '../../deploy/nginx/bun-infer-proxy.conf')

/** HTTPS in front (bun-infer-tls.conf.template): its port, certificate and key, and the HSTS max-age. */
export interface NginxTls {
  port: number
  certFile: string
  keyFile: string
  hstsMaxAge: number
}

/** The templates with the upstream list, addresses and files filled in, as the official image's entrypoint does. */
export async function renderNginxConfig(
  upstreams: readonly Upstream[],
  listen: string,
  accessLog: string,
  tls?: NginxTls
): Promise<string> {
  const servers = upstreams
    .map(({ port, down }) => `server 127.0.0.1:${port} max_fails=1 fail_timeout=1s${down ? ' down' : ''};`)
    .join('\n    ')
  const variables: Record<string, string> = {
    BUN_INFER_UPSTREAM_SERVERS: servers,
    BUN_INFER_NGINX_LISTEN: listen,
    BUN_INFER_NGINX_ACCESS_LOG: accessLog,
    BUN_INFER_NGINX_PROXY_CONF: PROXY_CONF,
    BUN_INFER_NGINX_HTTPS_ORIGIN: tls ? `https://127.0.0.1:${tls.port}` : '',
    BUN_INFER_NGINX_TLS_LISTEN: tls ? `127.0.0.1:${tls.port}` : '',
    BUN_INFER_NGINX_TLS_CERT: tls?.certFile ?? '',
    BUN_INFER_NGINX_TLS_KEY: tls?.keyFile ?? '',
    BUN_INFER_NGINX_HSTS_MAX_AGE: String(tls?.hstsMaxAge ?? 0)
  }
  const fill = (text: string) => text.replace(/\$\{(BUN_INFER_[A-Z_]+)\}/g, (whole, name: string) => variables[name] ?? whole)
  const http = fill(await Bun.file(TEMPLATE).text())
  return tls ? `${http}\n${fill(await Bun.file(TLS_TEMPLATE).text())}` : http
}

/**
 * Starts nginx on a free port in front of the given replicas; the caller must `stop()` it.
 * Its log (notice level) goes to stderr, where worker starts and exits are read to follow reloads.
 */
export async function startNginx(upstreams: readonly Upstream[], options: { tls?: Omit<NginxTls, 'port'> } = {}): Promise<NginxProcess> {
  if (NGINX === null) throw new Error('nginx is not on PATH (Debian: apt-get install -y nginx)')
  const port = await freePort()
  const tls = options.tls && { ...options.tls, port: await freePort() }
  const prefix = mkdtempSync(join(tmpdir(), 'bun-infer-nginx-'))
  // Started as root, nginx's workers run as nobody: they must reach the prefix and write their temp files.
  chmodSync(prefix, 0o755)
  for (const dir of ['body', 'proxy']) {
    mkdirSync(join(prefix, dir))
    chmodSync(join(prefix, dir), 0o777)
  }
  const site = join(prefix, 'bun-infer.conf')
  const main = join(prefix, 'nginx.conf')
  const writeSite = async (list: readonly Upstream[]) =>
    Bun.write(site, await renderNginxConfig(list, `127.0.0.1:${port}`, join(prefix, 'access.log'), tls))
  await writeSite(upstreams)
  await Bun.write(
    main,
    [
      'worker_processes 1;',
      'error_log stderr notice;',
      `pid ${join(prefix, 'nginx.pid')};`,
      'events { worker_connections 1024; }',
      'http {',
      `  client_body_temp_path ${join(prefix, 'body')};`,
      `  proxy_temp_path ${join(prefix, 'proxy')};`,
      `  include ${site};`,
      '}'
    ].join('\n')
  )
  const proc: Subprocess<'ignore', 'ignore', 'pipe'> = Bun.spawn([NGINX, '-p', prefix, '-e', 'stderr', '-c', main, '-g', 'daemon off;'], {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe'
  })
  const log = new LineLog(proc.stderr)
  let worker: string
  try {
    // The master binds the listen socket before it starts its workers.
    worker = await log.waitFor(/start worker process (\d+)/, 0)
  } catch (error) {
    rmSync(prefix, { recursive: true, force: true }) // nginx exited (a bad config): nothing else to stop
    throw error
  }

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    httpsUrl: tls && `https://127.0.0.1:${tls.port}`,
    pid: proc.pid,
    async accessLog() {
      const file = Bun.file(join(prefix, 'access.log'))
      if (!(await file.exists())) return []
      return (await file.text())
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
    },
    async reload(list) {
      await writeSite(list)
      const from = log.length
      proc.kill('SIGHUP')
      const fresh = await log.waitFor(/start worker process (\d+)/, from)
      // The old worker finishes the requests it holds, then exits: from then on only the new config routes.
      await log.waitFor(new RegExp(`worker process ${worker} exited`), from)
      worker = fresh
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM')
        await proc.exited
      }
      rmSync(prefix, { recursive: true, force: true })
    }
  }
}

/** Lines of a child's output, kept, with waits for a line that matches. */
class LineLog {
  private readonly lines: string[] = []
  private readonly waiters = new Set<() => void>()
  private ended = false

  constructor(stream: ReadableStream<Uint8Array>) {
    void (async () => {
      const decoder = new TextDecoder()
      let pending = ''
      for await (const chunk of stream) {
        pending += decoder.decode(chunk, { stream: true })
        const parts = pending.split('\n')
        pending = parts.pop()!
        this.lines.push(...parts)
        for (const wake of [...this.waiters]) wake()
      }
      this.ended = true
      for (const wake of [...this.waiters]) wake()
    })()
  }

  get length(): number {
    return this.lines.length
  }

  /** The first capture (else the whole line) of the first matching line from index `from`; rejects if the output ends first. */
  waitFor(pattern: RegExp, from: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = from; i < this.lines.length; i++) {
          const match = pattern.exec(this.lines[i]!)
          if (match) {
            this.waiters.delete(check)
            return resolve(match[1] ?? match[0])
          }
        }
        if (this.ended) {
          this.waiters.delete(check)
          reject(new Error(`nginx output ended before ${pattern}:\n${this.lines.join('\n')}`))
        }
      }
      this.waiters.add(check)
      check()
    })
  }
}
