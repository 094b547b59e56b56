/**
 * How fast a result-cache hit is answered, at the server: sends one photo to fill the cache, then the
 * same photo N times, one at a time, and reads the server's own `Server-Timing: total` (the handler's
 * time, multipart parsing and the SHA-256 key included) and the client-side round trip.
 *
 *   bun bench/cache-hit.ts [--requests N] [--image PATH]
 */
import { parseArgs } from 'node:util'
import { join } from 'node:path'
import { launch } from '../tools/process/launch'

const ROOT = join(import.meta.dir, '..')
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    requests: { type: 'string', default: '2000' },
    image: { type: 'string', default: join(ROOT, 'test/fixtures/images/chelsea.jpg') }
  }
})
const requests = Number(values.requests)
const bytes = await Bun.file(values.image!).bytes()

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return `p50 ${percentile(s, 50).toFixed(3)} ms, p99 ${percentile(s, 99).toFixed(3)} ms, max ${s.at(-1)!.toFixed(3)} ms`
}

const server = await launch({ env: { BUN_INFER_LOG_LEVEL: 'warn' }, cwd: ROOT })
try {
  const send = async () => {
    const form = new FormData()
    form.append('image', new Blob([bytes as unknown as BlobPart]), 'photo.jpg')
    const started = performance.now()
    const response = await fetch(`${server.url}/v1/predict`, { method: 'POST', body: form })
    const body = (await response.json()) as { metadata: { cached: boolean } }
    const total = Number(/total;dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '')?.[1])
    return { cached: body.metadata.cached, serverMs: total, clientMs: performance.now() - started }
  }
  const first = await send()
  if (first.cached) throw new Error('the first request was already cached')
  for (let i = 0; i < 50; i++) await send() // warm-up
  const server_: number[] = []
  const client: number[] = []
  for (let i = 0; i < requests; i++) {
    const r = await send()
    if (!r.cached) throw new Error(`request ${i} missed the cache`)
    server_.push(r.serverMs)
    client.push(r.clientMs)
  }
  console.log(`cache miss (first request): server ${first.serverMs.toFixed(3)} ms`)
  console.log(`cache hit × ${requests}, at the server (Server-Timing total): ${summary(server_)}`)
  console.log(`cache hit × ${requests}, client round trip (fetch, loopback):  ${summary(client)}`)
} finally {
  await server.stop()
}
