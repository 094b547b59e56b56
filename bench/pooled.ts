/**
 * The four paired targets over several full runs' rounds together (lib/pooled-rounds.ts): one line per run,
 * then the pooled medians. Not a verdict of record (that is one run's, in bench/README.md); a reading of where each
 * target sits on this machine once the rounds of several runs are put side by side.
 *
 *   bun bench/pooled.ts bench/results/<timestamp>.json bench/results/<timestamp>.json …
 */
import type { FigureMedians } from './lib/paired-targets'
import { poolRuns } from './lib/pooled-rounds'
import type { BenchReport } from './lib/types'

const files = process.argv.slice(2)
if (files.length === 0) {
  console.error('usage: bun bench/pooled.ts RESULT.json [RESULT.json …]')
  process.exit(2)
}
const reports = (await Promise.all(files.map((file) => Bun.file(file).json()))) as BenchReport[]
let pooledRuns: ReturnType<typeof poolRuns>
try {
  pooledRuns = poolRuns(reports)
} catch (error) {
  console.error(`bench/pooled.ts: ${(error as Error).message} (results from before the paired rounds have none)`)
  process.exit(2)
}
const { runs, pooled } = pooledRuns

const mark = (pass: boolean | null, text: string) => (pass === true ? `**${text}**` : text)
const fixed = (value: number | null, digits: number, unit = '') => (value === null ? '–' : `${value.toFixed(digits)}${unit}`)
const row = (label: string, m: FigureMedians) =>
  [
    label,
    String(m.rounds),
    `${[m.pass.saturation, m.pass.cpu, m.pass.floor, m.pass.naive].filter((p) => p === true).length} of 4`,
    mark(m.pass.saturation, fixed(m.saturation, 3, ' ×')),
    mark(m.pass.cpu, fixed(m.cpu, 3, ' ×')),
    mark(m.pass.floor, fixed(m.overFloor, 2, ' ms')),
    mark(m.pass.naive, `${fixed(m.p50VsNaive, 2, ' ms')}, ${fixed(m.reqVsNaive, 3, ' ×')}`),
    fixed(m.httpAlone, 2, ' ms')
  ].join(' | ')

console.log(
  '| run | rounds | paired targets | saturation × limit | CPU/img × limit | p50 − floor | p50 − naive, req/s ÷ naive | HTTP alone |'
)
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
for (const run of runs) console.log(`| ${row(`${run.startedAt.slice(0, 16)} (${run.commit})`, run)} |`)
console.log(`| ${row(`all ${runs.length} runs pooled`, pooled)} |`)
console.log('\nbold: passes its bar (saturation ≥ 0.9, CPU ≤ 1.1, floor + 1 ms, p50 ≤ naive and req/s ≥ naive), on medians of rounds')
