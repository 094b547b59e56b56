/**
 * One process with more workers, or N processes sharing one port (BUN_INFER_REUSE_PORT)? Each layout is
 * started, warmed up and driven with the same autocannon load (small JPEG, multipart, no-store); reported:
 * images/s, p50/p99, CPU ms per image and RSS summed over the layout's processes.
 *
 *   bun bench/scale-out.ts --layouts 1x2,2x1 --connections 64 --duration 10
 *   (a layout PxW is P processes with W workers each; intra-op threads stay 1)
 */
import { parseArgs } from 'node:util'
import { launch, ROOT, type ServerProcess } from '../tools/process/launch'
import { cpuSeconds, rssBytes } from '../tools/process/procfs'
import { freePort } from '../tools/process/redis-server'
import { loadAverages, machineFacts } from './lib/machine'
import { runLoad } from './lib/load'
import { buildPayload } from './lib/payloads'
import { summarise } from './lib/stats'

const { values } = parseArgs({
  options: {
    layouts: { type: 'string', default: '1x2,2x1' },
    connections: { type: 'string', default: '64' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    env: { type: 'string', default: '' }
  }
})
const layouts = values.layouts!.split(',').map((l) => l.split('x').map(Number) as [number, number])
const connections = values.connections!.split(',').map(Number)
const durationS = Number(values.duration)
const extraEnv = Object.fromEntries(
  values
    .env!.split(',')
    .filter(Boolean)
    .map((kv) => kv.split('=') as [string, string])
)
const payload = await buildPayload(ROOT, 'jpeg')

async function startLayout(processes: number, workers: number): Promise<{ url: string; servers: ServerProcess[] }> {
  const port = await freePort()
  const env = {
    BUN_INFER_PORT: String(port),
    BUN_INFER_WORKERS: String(workers),
    BUN_INFER_REUSE_PORT: processes > 1 ? 'true' : 'false',
    BUN_INFER_LOG_LEVEL: 'warn',
    ...extraEnv
  }
  const cmd = ['bun', 'src/main.ts', '--host', '127.0.0.1']
  const servers = await Promise.all(Array.from({ length: processes }, () => launch({ cmd, env, warnIfGone: true })))
  return { url: `http://127.0.0.1:${port}`, servers }
}

const rows: string[] = []
for (const [processes, workers] of layouts) {
  const { url, servers } = await startLayout(processes, workers)
  try {
    await runLoad({ url, payload, connections: Math.max(...connections), durationS: Number(values.warmup), label: 'warm-up', quiet: true })
    for (const c of connections) {
      const cpuBefore = servers.reduce((s, p) => s + (cpuSeconds(p.pid) ?? 0), 0)
      const outcome = await runLoad({ url, payload, connections: c, durationS, label: `${processes}x${workers} at ${c}` })
      const cpuS = servers.reduce((s, p) => s + (cpuSeconds(p.pid) ?? 0), 0) - cpuBefore
      const images = outcome.latenciesMs.length
      const lat = summarise(outcome.latenciesMs)
      const rssMb = servers.reduce((s, p) => s + (rssBytes(p.pid) ?? 0), 0) / 1024 / 1024
      const errors = outcome.result.errors + outcome.result.non2xx
      rows.push(
        `| ${processes} × ${workers} | ${c} | ${(images / outcome.elapsedS).toFixed(1)} | ${lat.p50.toFixed(1)} | ${lat.p99.toFixed(1)} | ${((cpuS * 1000) / Math.max(1, images)).toFixed(2)} | ${rssMb.toFixed(0)} | ${errors} |`
      )
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }
}
const m = machineFacts(ROOT)
console.log(
  `\n\`bun bench/scale-out.ts ${process.argv.slice(2).join(' ')}\` · ${m.cpuModel}, ${m.cores} cores · load average ${loadAverages().join(' ')}\n`
)
console.log('| processes × workers | connections | images/s | p50 ms | p99 ms | CPU ms/img | RSS MB (sum) | errors |')
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
for (const row of rows) console.log(row)
