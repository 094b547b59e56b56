/**
 * `bun run bench [--quick] [flags]`: the limit, the naive baseline, bun-infer with batching off and
 * bun-infer with defaults, on the same photos and the same machine, in one run. `--help` lists flags.
 */
import { availableParallelism } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { HELP, parseBenchArgs, type BenchOptions } from './lib/args'
import { killAll, type ServerProcess } from '../tools/process/launch'
import { HTTP_CONTENDERS, startContender } from './lib/contenders'
import { recheckLimit, runLimit } from './lib/limit-runner'
import { runPaired } from './lib/paired'
import { loadAverage1m, machineFacts } from './lib/machine'
import { updateReadme, writeResults } from './lib/output'
import { buildPayload, PAYLOAD_NAMES, type Payload, type PayloadName } from './lib/payloads'
import { renderMarkdown } from './lib/report/markdown'
import { renderSvg } from './lib/report/svg'
import { prepare, runServerScenarios, runSweep } from './lib/scenarios'
import { checkTargets } from './lib/targets'
import type { BenchReport, ContenderResult, LimitResult, PairedResult } from './lib/types'

const ROOT = resolve(import.meta.dir, '..')

async function runHttpContenders(options: BenchOptions, payloads: Map<PayloadName, Payload>): Promise<ContenderResult[]> {
  if (options.url) {
    const target = { contender: 'server', url: options.url, pid: options.pid }
    await prepare(target, options, payloads)
    const [sweep] = await runSweep([target], options, payloads)
    const points = [...sweep!, ...(await runServerScenarios(target, options, payloads, sweep!))]
    return [{ name: 'server', description: `running server at ${options.url}`, env: {}, startupMs: null, points }]
  }
  // Every contender runs at once (the idle ones wait), so the sweep can take them in turn point by point.
  const contenders = HTTP_CONTENDERS.filter((c) => options.contenders.includes(c.name))
  const started: ServerProcess[] = []
  try {
    for (const contender of contenders) {
      process.stderr.write(`\n${contender.name}: starting ${contender.cmd.join(' ')}\n`)
      started.push(await startContender(contender, ROOT))
    }
    const targets = contenders.map((c, i) => ({ contender: c.name, url: started[i]!.url, pid: started[i]!.pid }))
    for (const target of targets) await prepare(target, options, payloads)
    const sweeps = await runSweep(targets, options, payloads)
    const results: ContenderResult[] = []
    for (const [i, contender] of contenders.entries()) {
      const extra = contender.name === 'server' ? await runServerScenarios(targets[i]!, options, payloads, sweeps[i]!) : []
      results.push({
        name: contender.name,
        description: contender.description,
        env: contender.env,
        startupMs: started[i]!.startupMs,
        points: [...sweeps[i]!, ...extra]
      })
    }
    return results
  } finally {
    await Promise.all(started.map((child) => child.stop()))
  }
}

/** The paired rounds, when the run has the limit, the server and the naive baseline to pair. */
function pairedRounds(options: BenchOptions, limit: LimitResult | null, jpeg: Payload): Promise<PairedResult> | null {
  const both = options.contenders.includes('server') && options.contenders.includes('naive')
  if (options.rounds === 0 || !limit || !both) return null
  const spec = {
    rounds: options.rounds,
    durationS: options.pairedDurationS,
    settleS: options.settleS,
    limitCell: limit.best,
    floorSetting: limit.floor?.best,
    echoHoldMs: limit.floor?.best.latencyMs.p50
  }
  return runPaired(spec, jpeg, ROOT)
}

/** Writes and prints the summary, chart and JSON of a report (and the README block with --readme). */
function publish(report: BenchReport, options: BenchOptions): void {
  const markdown = renderMarkdown(report)
  const outDir = resolve(ROOT, options.outDir)
  const files = writeResults(report, markdown, renderSvg(report), outDir)
  if (options.readme) updateReadme(join(ROOT, 'bench/README.md'), markdown, relative(join(ROOT, 'bench'), join(outDir, 'latest.svg')))
  process.stdout.write(`\n${markdown}\n\nwritten: ${files.map((f) => relative(ROOT, f)).join(', ')} (and latest.*)\n`)
}

async function main(): Promise<void> {
  const options = parseBenchArgs(process.argv.slice(2))
  if (!options) return void process.stdout.write(HELP)
  if (options.render) {
    const saved = (await Bun.file(options.render).json()) as BenchReport
    return publish({ ...saved, targets: checkTargets(saved.limit, saved.contenders, saved.paired) }, options)
  }
  const startedAt = new Date().toISOString()
  const loadStart = loadAverage1m()
  const command = ['bun run bench', ...process.argv.slice(2)].join(' ')
  const names = new Set<PayloadName>(['jpeg', ...PAYLOAD_NAMES.filter((p) => options.scenarios.includes(p))])
  const payloads = new Map(await Promise.all([...names].map(async (n) => [n, await buildPayload(ROOT, n)] as const)))

  const withLimit = options.contenders.includes('limit') && !options.url
  const firstLimit = withLimit ? await runLimit(options, ROOT) : null
  const contenders = await runHttpContenders(options, payloads)
  const limit = firstLimit ? await recheckLimit(firstLimit, options, ROOT, availableParallelism()) : null
  const paired = await pairedRounds(options, limit, payloads.get('jpeg')!)
  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    command,
    options: { ...options },
    machine: machineFacts(ROOT),
    loadAverage1m: { start: loadStart, end: loadAverage1m() },
    limit,
    contenders,
    paired,
    targets: checkTargets(limit, contenders, paired)
  }
  publish(report, options)
}

// Nothing this harness started may outlive it: servers are stopped in `finally`, and these catch the rest.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    killAll()
    process.exit(130)
  })
process.on('exit', killAll)

try {
  await main()
} catch (error) {
  process.stderr.write(`bench: ${(error as Error).message}\n`)
  process.exitCode = 1
} finally {
  killAll()
}
