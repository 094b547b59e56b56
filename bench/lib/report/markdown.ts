/** The Markdown summary: printed at the end of a run, written beside the JSON, and pasted into bench/README.md. */
import { saturation } from '../targets'
import { censored } from './censored'
import { figureMedians, median, roundFigures } from '../paired-targets'
import type { BenchReport, LimitFloor, LimitPoint, MachineFacts, PairedResult, PointResult } from '../types'

const n = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '–' : String(v))
const f1 = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(1))
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`
const table = (head: string[], rows: (string | number)[][]) => [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n')
const lat = (p: PointResult, ms: number) => (censored(p, ms) ? `≥ ${f1(ms)}` : f1(ms))
const meanBatch = (p: PointResult) => (p.metrics && p.metrics.batches > 0 ? p.metrics.meanBatchSize.toFixed(1) : '–')
const stage = (p: PointResult, name: string) => f1(p.metrics?.stageMeanMs[name])

function limitSection(report: BenchReport): string {
  const limit = report.limit
  if (!limit) return ''
  const cell = (p: LimitPoint) => [
    p.batchSize,
    p.concurrency,
    p.imgPerS,
    p.cpuMsPerImage,
    f1(p.latencyMs.p50),
    f1(p.latencyMs.p99),
    f1(p.preprocessMeanMs),
    f1(p.inferenceMeanMs)
  ]
  const head = ['batch', 'loops', 'img/s', 'CPU ms/img', 'p50 ms', 'p99 ms', 'preprocess ms', 'inference ms']
  const payloads = Object.entries(limit.byPayload).map(([name, p]) => [name, ...cell(p)])
  const loneSpin = limit.loneSpinning ? ', spinning within its runs' : ''
  const lone = limit.loneIntraOpThreads ? ` + a ${limit.loneIntraOpThreads}-thread session for lone batches${loneSpin}` : ''
  const spinning = limit.spinning === undefined ? '' : `, ${lone ? 'the other sessions ' : ''}spinning ${limit.spinning ? 'on' : 'off'}`
  return [
    `### The limit (in-process, no HTTP: ${limit.workers} workers × ${limit.intraOpThreads} intra-op threads${lone}${spinning}, ${limit.model})`,
    '',
    `Best: **${limit.best.imgPerS} img/s** at batch ${limit.best.batchSize} × ${limit.best.concurrency} loops, ` +
      `**${limit.best.cpuMsPerImage} CPU ms/img**. One image at a time: **p50 ${limit.single.latencyMs.p50} ms**.` +
      (limit.cpuBoundImgPerS ? ` CPU-bound ceiling (cores × 1000 / CPU ms per image): ${limit.cpuBoundImgPerS} img/s.` : '') +
      (limit.recheck ? ' Best and single-image cells are the better of the grid and a re-run after the HTTP contenders (last rows).' : ''),
    '',
    table(head, [...limit.grid, ...(limit.recheck ?? [])].map(cell)),
    '',
    'Same best cell on each photo:',
    '',
    table(['image', ...head], payloads),
    floorSection(limit.floor)
  ].join('\n')
}

/** The single-image floor: one image at a time on a one-worker pool, per thread setting. */
function floorSection(floor: LimitFloor | undefined): string {
  if (!floor) return ''
  const rows = floor.points.map((p) => [
    p.intraOpThreads,
    p.spinning ? 'on' : 'off',
    f1(p.latencyMs.p50),
    f1(p.latencyMs.p99),
    p.cpuMsPerImage,
    f1(p.preprocessMeanMs),
    f1(p.inferenceMeanMs)
  ])
  return [
    '',
    `Single-image floor (1 worker, one image at a time, decoded by sharp as the server does; better of the first run and the re-run): **p50 ${floor.best.latencyMs.p50} ms** ` +
      `with ${floor.best.intraOpThreads} intra-op threads, spinning ${floor.best.spinning ? 'on' : 'off'}.`,
    '',
    table(['intra-op threads', 'spinning', 'p50 ms', 'p99 ms', 'CPU ms/img', 'preprocess ms', 'inference ms'], rows)
  ].join('\n')
}

function sweepSection(report: BenchReport): string {
  const points = report.contenders.flatMap((c) => c.points.filter((p) => p.scenario === 'sweep'))
  if (points.length === 0) return ''
  const head = [
    'contender',
    'conn',
    'req/s',
    'img/s',
    'p50 ms',
    'p90 ms',
    'p99 ms',
    'max ms',
    'non-2xx',
    'errors',
    'CPU ms/img',
    'peak RSS MB',
    'mean batch',
    'queue ms'
  ]
  const rows = points.map((p) => [
    p.contender,
    p.connections,
    p.reqPerS,
    p.imgPerS,
    lat(p, p.latencyMs.p50),
    lat(p, p.latencyMs.p90),
    lat(p, p.latencyMs.p99),
    lat(p, p.latencyMs.max),
    p.non2xx,
    p.errors + p.timeouts,
    n(p.serverCpuMsPerImage),
    f1(p.serverPeakRssMb),
    meanBatch(p),
    stage(p, 'queue')
  ])
  return ['### Concurrency sweep (chelsea.jpg, multipart)', '', table(head, rows)].join('\n')
}

function payloadSection(report: BenchReport): string {
  const points = report.contenders.flatMap((c) => c.points.filter((p) => p.scenario === 'payload'))
  if (points.length === 0) return ''
  const limitOf = (p: PointResult) => {
    const image = p.payload === 'multi4' ? 'jpeg' : p.payload.replace('b64-', '')
    return n(report.limit?.byPayload[image]?.imgPerS)
  }
  const head = [
    'contender',
    'payload',
    'conn',
    'req/s',
    'img/s',
    'limit img/s',
    'p50 ms',
    'p99 ms',
    'non-2xx',
    'errors',
    'CPU ms/img',
    'peak RSS MB',
    'mean batch',
    'preprocess ms',
    'queue ms',
    'inference ms'
  ]
  const rows = points.map((p) => [
    p.contender,
    p.payload,
    p.connections,
    p.reqPerS,
    p.imgPerS,
    limitOf(p),
    lat(p, p.latencyMs.p50),
    lat(p, p.latencyMs.p99),
    p.non2xx,
    p.errors + p.timeouts,
    n(p.serverCpuMsPerImage),
    f1(p.serverPeakRssMb),
    meanBatch(p),
    stage(p, 'preprocess'),
    stage(p, 'queue'),
    stage(p, 'inference')
  ])
  return ['### Payloads', '', table(head, rows)].join('\n')
}

function openLoopSection(report: BenchReport): string {
  const points = report.contenders.flatMap((c) => c.points.filter((p) => p.scenario.startsWith('open-loop')))
  if (points.length === 0) return ''
  const head = [
    'contender',
    'load',
    'target req/s',
    'achieved req/s',
    'p50 ms',
    'p99 ms',
    'autocannon p99 ms (1 ms res.)',
    'non-2xx',
    'errors',
    'mean batch',
    'queue ms'
  ]
  const rows = points.map((p) => [
    p.contender,
    p.scenario.replace('open-loop ', ''),
    n(p.targetRate),
    p.reqPerS,
    lat(p, p.latencyMs.p50),
    lat(p, p.latencyMs.p99),
    p.autocannonLatencyMs.p99,
    p.non2xx,
    p.errors + p.timeouts,
    meanBatch(p),
    stage(p, 'queue')
  ])
  return ['### Open loop (fixed rate, chelsea.jpg multipart, % of measured capacity)', '', table(head, rows)].join('\n')
}

function targetSection(report: BenchReport): string {
  const rows = report.targets.map((t) => [t.pass === null ? 'not checked' : t.pass ? '**PASS**' : '**MISS**', t.name, t.detail])
  const server = report.contenders.find((c) => c.name === 'server')
  const sat = saturation(server)
  const stages = sat?.metrics
    ? `\n\nWhere an image's time goes in the server at saturation (${sat.connections} conn, mean per image): ` +
      ['preprocess', 'queue', 'inference', 'total'].map((s) => `${s} ${stage(sat, s)} ms`).join(', ') +
      `; client-side mean latency ${f1(sat.latencyMs.mean)} ms.`
    : ''
  return ['### Targets', '', table(['result', 'target', 'measured'], rows)].join('\n') + stages
}

/** Each paired round's own figures (the targets above are their medians). */
function pairedSection(paired: PairedResult | null | undefined): string {
  if (!paired || paired.rounds.length === 0) return ''
  const { batchSize, concurrency } = paired.limitCell
  const echoRounds = paired.rounds.filter((r) => r.echo !== undefined)
  const withEcho = echoRounds.length > 0
  const medians = figureMedians(paired.rounds)
  const rows = paired.rounds.map((r, i) => [
    i + 1,
    f1(r.server.p50),
    f1(r.naive.p50),
    `${f1(r.floor.p50)} (${r.floor.intraOpThreads} × ${r.floor.spinning ? 'spin' : 'no spin'})`,
    f1(r.server.reqPerS),
    f1(r.naive.reqPerS),
    f1(r.saturation.server.imgPerS),
    f1(r.saturation.limit.imgPerS),
    roundFigures(r).saturation.toFixed(2),
    f1(r.saturation.server.cpuMsPerImage),
    f1(r.saturation.limit.cpuMsPerImage),
    ...(withEcho ? [f1(roundFigures(r).httpAlone)] : [])
  ])
  const med = (pick: (r: PairedResult['rounds'][number]) => number) => f1(median(paired.rounds.map(pick)))
  rows.push([
    'median',
    med((r) => r.server.p50),
    med((r) => r.naive.p50),
    med((r) => r.floor.p50),
    med((r) => r.server.reqPerS),
    med((r) => r.naive.reqPerS),
    med((r) => r.saturation.server.imgPerS),
    med((r) => r.saturation.limit.imgPerS),
    String(Math.round(medians.saturation * 100) / 100),
    '–',
    '–',
    ...(withEcho ? [f1(medians.httpAlone)] : [])
  ])
  const head = [
    'round',
    'server p50 ms',
    'naive p50 ms',
    'floor p50 ms',
    'server req/s',
    'naive req/s',
    `server img/s (${paired.saturationConnections} conn)`,
    `limit img/s (${batchSize} × ${concurrency})`,
    'ratio',
    'server CPU ms/img',
    'limit CPU ms/img',
    ...(withEcho ? [`HTTP alone ms (echo p50 − ${f1(echoRounds[0]!.echo!.holdMs)} ms hold)`] : [])
  ]
  return [
    `### Paired rounds (${paired.durationS} s per point; 1 connection, floor, saturation back to back in each round)`,
    '',
    table(head, rows)
  ].join('\n')
}

/** "2 cores", or "2 of its 16 cores (pinned)" when the run was restricted to some of the machine's cores. */
export const coresText = (m: MachineFacts) => (m.coresOnline ? `${m.cores} of its ${m.coresOnline} cores (pinned)` : `${m.cores} cores`)

/** The whole summary as Markdown. */
export function renderMarkdown(report: BenchReport): string {
  const m = report.machine
  return [
    `## bun-infer benchmark — ${report.startedAt}`,
    '',
    `\`${report.command}\` · ${m.cpuModel}, ${coresText(m)}, ${m.memTotalGb} GB · ${m.os} ${m.kernel} · Bun ${m.bun}, ` +
      `onnxruntime-node ${m.onnxruntime}, sharp ${m.sharp} (libvips ${m.libvips}), autocannon ${m.autocannon} · ` +
      `commit ${m.gitCommit}${m.gitDirty ? ' (uncommitted changes)' : ''} · load average ${report.loadAverage1m.start} → ${report.loadAverage1m.end}`,
    '',
    'The load generator runs on the same machine as the server and takes CPU from it; the limit has no client. ' +
      '"≥ v": a latency within 10 % of the point\'s length, censored because requests still queued at the end are not counted (use longer points).',
    '',
    targetSection(report),
    pairedSection(report.paired),
    limitSection(report),
    sweepSection(report),
    payloadSection(report),
    openLoopSection(report)
  ]
    .filter((s) => s !== undefined)
    .join('\n\n')
    .replace(/\n{3,}/g, '\n\n')
}
