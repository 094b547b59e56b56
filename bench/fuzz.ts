/**
 * Long fuzz campaigns against the predict routes, with the CI fuzz test's mutator (tools/bad-input/mutate.ts).
 *
 *   bun bench/fuzz.ts --seed 7 --requests 100000           # starts its own server (corpus limits), then stops it
 *   bun bench/fuzz.ts --url http://127.0.0.1:8080 --requests 20000
 *   bun bench/fuzz.ts --seed 20251125 --only 1234,1301      # replay requests a CI failure named
 *
 * Prints the outcome counts (status + error code) and every 5xx or lost connection with the mutations
 * that produced it; exits 1 if there was any, or if the server died or stopped being ready.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { corpusLimitsEnv } from '../tools/bad-input/cases'
import { runFuzz } from '../tools/bad-input/fuzz-run'
import { fuzzRequest, seedImages } from '../tools/bad-input/mutate'
import { launch, type ServerProcess } from '../tools/process/launch'

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '8' },
    url: { type: 'string' },
    only: { type: 'string' },
    show: { type: 'boolean', default: false },
    json: { type: 'string' }
  }
})
const seed = Number(values.seed)
const requests = Number(values.requests)
const concurrency = Number(values.concurrency)
if (!Number.isInteger(seed) || !(requests > 0) || !(concurrency > 0))
  throw new Error('--seed, --requests and --concurrency must be whole numbers')
const only = values.only?.split(',').map(Number)

const images = await seedImages()
if (values.show && only) {
  // Print what those requests are, without sending them.
  for (const index of only) {
    const { request, applied } = fuzzRequest(images, seed, index)
    console.log(
      index,
      request.method,
      request.path,
      JSON.stringify(request.headers),
      `${request.body?.length ?? 0} bytes`,
      applied.join(' ')
    )
  }
  process.exit(0)
}

let server: ServerProcess | undefined
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
try {
  if (!values.url) server = await launch({ env: { ...corpusLimitsEnv(), BUN_INFER_LOG_LEVEL: 'warn', BUN_INFER_MAX_CACHE_ENTRIES: '0' } })
  const url = values.url ?? server!.url
  const rssBefore = server ? rssMiB(server.proc.pid) : undefined
  const report = await runFuzz({ url, images, seed, requests, concurrency, only })
  const ready = (await fetch(`${url}/health/ready`).catch(() => undefined))?.status
  const alive = server ? server.proc.exitCode === null : ready !== undefined
  const summary = {
    ...report,
    requestsPerSecond: Math.round((report.requests / report.ms) * 1000),
    fiveXX: report.failures.filter((f) => f.status >= 500).length,
    noResponse: report.failures.filter((f) => f.status === 0).length,
    alive,
    ready,
    rssMiB: server ? { before: Math.round(rssBefore!), after: Math.round(rssMiB(server.proc.pid)) } : undefined
  }
  console.log(
    `seed ${seed}: ${report.requests} requests in ${(report.ms / 1000).toFixed(1)} s (${summary.requestsPerSecond}/s), concurrency ${concurrency}`
  )
  for (const [outcome, n] of Object.entries(report.outcomes).sort(([a], [b]) => a.localeCompare(b)))
    console.log(`  ${outcome.padEnd(32)} ${n}`)
  console.log(
    `  5xx ${summary.fiveXX}, no response ${summary.noResponse}, alive ${alive}, ready ${ready}` +
      (summary.rssMiB ? `, RSS ${summary.rssMiB.before} → ${summary.rssMiB.after} MiB` : '')
  )
  for (const f of report.failures.slice(0, 50)) console.log(`  FAIL #${f.index} → ${f.status}: ${f.applied.join(' ')} :: ${f.detail}`)
  if (values.json) await Bun.write(values.json, JSON.stringify(summary, null, 2))
  process.exitCode = report.failures.length === 0 && alive && ready === 200 ? 0 : 1
} finally {
  await server?.stop()
}
