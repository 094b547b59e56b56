/**
 * Line coverage of src/ from bun's lcov report (coverage/lcov.info): the total over src files, each file below
 * the bar, and the src files the test process never loads (they run in child processes or worker threads,
 * where bun does not collect coverage: main.ts, the inference worker). Exits 1 below --min (percent).
 *
 *   bun test --coverage --coverage-reporter=lcov && bun tools/coverage.ts --min 95
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'

const ROOT = join(import.meta.dir, '..')
const { values } = parseArgs({
  options: { min: { type: 'string', default: '95' }, lcov: { type: 'string', default: 'coverage/lcov.info' } }
})

interface FileCoverage {
  file: string
  found: number
  hit: number
}

function parseLcov(text: string): FileCoverage[] {
  const files: FileCoverage[] = []
  let current: FileCoverage | undefined
  for (const line of text.split('\n')) {
    if (line.startsWith('SF:')) current = { file: relative(ROOT, join(ROOT, line.slice(3))), found: 0, hit: 0 }
    else if (line.startsWith('LF:') && current) current.found = Number(line.slice(3))
    else if (line.startsWith('LH:') && current) current.hit = Number(line.slice(3))
    else if (line === 'end_of_record' && current) files.push(current), (current = undefined)
  }
  return files
}

const srcFiles = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? srcFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []
  )

const covered = parseLcov(readFileSync(join(ROOT, values.lcov!), 'utf8')).filter((f) => f.file.startsWith('src/'))
const found = covered.reduce((n, f) => n + f.found, 0)
const hit = covered.reduce((n, f) => n + f.hit, 0)
const percent = (100 * hit) / Math.max(1, found)
const min = Number(values.min)
const seen = new Set(covered.map((f) => f.file))
const unloaded = srcFiles('src').filter((f) => !seen.has(f))
for (const f of covered.filter((f) => f.found > 0 && f.hit / f.found < min / 100).sort((a, b) => a.hit / a.found - b.hit / b.found))
  console.log(`  ${f.file}: ${((100 * f.hit) / f.found).toFixed(1)} % of ${f.found} lines`)
console.log(`src line coverage: ${percent.toFixed(2)} % (${hit}/${found} lines in ${covered.length} files; bar ${min} %)`)
console.log(`not loaded by the test process (run in child processes or worker threads): ${unloaded.join(', ') || 'none'}`)
if (percent < min) process.exit(1)
