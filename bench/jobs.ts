/**
 * Bulk jobs against the limit and against interactive traffic, on one machine in one run:
 *
 *   bun bench/jobs.ts [--images 2000] [--rounds 3] [--duration 10] [--connections 16] [--limit-duration 3] [--write]
 *
 * 1. The limit (bench/limit.ts, no HTTP) on the small JPEG: the best images/s this machine does.
 * 2. A job of `--images` copies of that JPEG with no other traffic: images/s from its first image to its last
 *    (the server's own started_at and finished_at). Target: ≥ 0.8 × the limit.
 * 3. Interleaved rounds of `--connections` connections of predict requests, alone and with a job running (ABBA
 *    order): the requests' p99 with a job, over their p99 alone (target ≤ 1.25 × by the median of the rounds), and
 *    the job's images/s during the window (it must still progress).
 *
 * The result cache is off: every copy of the photo is decoded and classified. With --write, the report goes to
 * bench/results/jobs-latest.md and .json.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { launch, killAll, ROOT } from '../tools/process/launch'
import { runLimitProcess } from './lib/limit-runner'
import { runLoad } from './lib/load'
import { settle } from './lib/measure'
import { buildPayload } from './lib/payloads'
import { round, summarise } from './lib/stats'
import { machineFacts } from './lib/machine'
import { tarStream } from '../test/helpers/jobs'

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    images: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    'limit-duration': { type: 'string', default: '3' },
    write: { type: 'boolean', default: false }
  }
})
const images = Number(values.images)
const rounds = Number(values.rounds)
const durationS = Number(values.duration)
const connections = Number(values.connections)
process.on('exit', killAll)
process.on('SIGINT', () => process.exit(130))

type JobJson = {
  id: string
  status: string
  started_at: string | null
  finished_at: string | null
  images: { done: number; failed: number }
}

const limit = await runLimitProcess(ROOT, [
  '--duration',
  values['limit-duration']!,
  '--grid',
  '4x16,8x16,8x32',
  '--images',
  'jpeg',
  '--no-floor',
  '--no-single'
])
const limitImgPerS = limit.byPayload.jpeg?.imgPerS ?? limit.best.imgPerS

const server = await launch({ env: { BUN_INFER_MAX_CACHE_ENTRIES: '0', BUN_INFER_LOG_LEVEL: 'warn' } })
const payload = await buildPayload(ROOT, 'jpeg')
const jpeg = await Bun.file(join(ROOT, 'test/fixtures/images/chelsea.jpg')).bytes()

/** A job of `count` copies of the JPEG, sent as a tar made as it is read. */
async function submit(count: number): Promise<JobJson> {
  const response = await fetch(`${server.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-tar' },
    body: tarStream(jpeg, count),
    duplex: 'half'
  } as RequestInit)
  if (response.status !== 202) throw new Error(`POST /v1/jobs: ${response.status} ${await response.text()}`)
  return (await response.json()) as JobJson
}
const status = async (id: string) => (await (await fetch(`${server.url}/v1/jobs/${id}`)).json()) as JobJson
const finish = async (id: string) => {
  await (await fetch(`${server.url}/v1/jobs/${id}/results`)).arrayBuffer() // the stream ends when the job does
  return status(id)
}

try {
  await runLoad({ url: server.url, payload, connections, durationS: 2, label: 'warm-up', quiet: true })

  // 2. A job alone.
  await settle({ contender: 'server', url: server.url, pid: server.pid })
  const alone = await finish((await submit(images)).id)
  const jobSeconds = (Date.parse(alone.finished_at!) - Date.parse(alone.started_at!)) / 1000
  const jobImgPerS = images / jobSeconds

  // 3. Requests alone and with a job, interleaved.
  const p99 = { alone: [] as number[], withJob: [] as number[] }
  const progress: number[] = []
  const reqPerS = { alone: [] as number[], withJob: [] as number[] }
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? (['alone', 'withJob'] as const) : (['withJob', 'alone'] as const)
    for (const which of order) {
      await settle({ contender: 'server', url: server.url, pid: server.pid })
      const job = which === 'withJob' ? await submit(images) : undefined
      let doneBefore = 0
      const load = await runLoad({
        url: server.url,
        payload,
        connections,
        durationS,
        settleS: 1,
        label: `round ${r + 1}: ${which}`,
        onWindowStart: () => {
          if (job) void status(job.id).then((s) => (doneBefore = s.images.done + s.images.failed))
        }
      })
      p99[which].push(summarise(load.latenciesMs).p99)
      reqPerS[which].push(load.latenciesMs.length / load.elapsedS)
      if (job) {
        const after = await status(job.id)
        if (after.status !== 'running') console.warn(`the job was ${after.status} at the end of the window: use more --images`)
        progress.push((after.images.done + after.images.failed - doneBefore) / load.elapsedS)
        await fetch(`${server.url}/v1/jobs/${job.id}`, { method: 'DELETE' })
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const ratios = p99.alone.map((a, i) => p99.withJob[i]! / a)
  const report = {
    date: new Date().toISOString(),
    machine: machineFacts(ROOT),
    command: `bun bench/jobs.ts ${process.argv.slice(2).join(' ')}`.trim(),
    limitImgPerS: round(limitImgPerS),
    job: { images, seconds: round(jobSeconds), imgPerS: round(jobImgPerS), ratioToLimit: round(jobImgPerS / limitImgPerS) },
    interleaved: {
      connections,
      durationS,
      p99AloneMs: p99.alone.map((x) => round(x)),
      p99WithJobMs: p99.withJob.map((x) => round(x)),
      p99Ratios: ratios.map((x) => round(x)),
      medianP99Ratio: round(median(ratios)),
      reqPerSAlone: reqPerS.alone.map((x) => round(x)),
      reqPerSWithJob: reqPerS.withJob.map((x) => round(x)),
      jobImgPerSDuringLoad: progress.map((x) => round(x))
    }
  }
  const pass = (ok: boolean) => (ok ? '**PASS**' : '**MISS**')
  const markdown = [
    `# Bulk jobs: ${report.date.slice(0, 10)}`,
    '',
    `Machine: ${report.machine.cpuModel}, ${report.machine.cores} cores. Command: \`${report.command}\`. Result cache off.`,
    '',
    '| result | target | measured |',
    '| --- | --- | --- |',
    `| ${pass(report.job.ratioToLimit >= 0.8)} | a ${images}-image job alone ≥ 0.8 × the limit's images/s | ${report.job.imgPerS} img/s vs ${report.limitImgPerS}: ${report.job.ratioToLimit}× |`,
    `| ${pass(report.interleaved.medianP99Ratio <= 1.25)} | ${connections} connections of requests: p99 with a job ≤ 1.25 × without (median of ${rounds} interleaved rounds) | ${report.interleaved.medianP99Ratio}× (rounds ${report.interleaved.p99Ratios.join(', ')}); p99 ${report.interleaved.p99AloneMs.join(', ')} ms alone, ${report.interleaved.p99WithJobMs.join(', ')} ms with a job |`,
    `| ${pass(progress.every((x) => x > 0))} | the job still progresses under that load | ${report.interleaved.jobImgPerSDuringLoad.join(', ')} img/s |`,
    '',
    `Requests/s alone: ${report.interleaved.reqPerSAlone.join(', ')}; with a job: ${report.interleaved.reqPerSWithJob.join(', ')}.`,
    ''
  ].join('\n')
  console.log(markdown)
  if (values.write) {
    writeFileSync(join(ROOT, 'bench/results/jobs-latest.json'), `${JSON.stringify(report, null, 2)}\n`)
    writeFileSync(join(ROOT, 'bench/results/jobs-latest.md'), markdown)
  }
} finally {
  await server.stop('SIGTERM')
}
