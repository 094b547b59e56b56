/** Writes a run's JSON, Markdown and SVG (timestamped, and as latest.*), and optionally the README table. */
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BenchReport } from './types'

const START = '<!-- bench:summary:start -->'
const END = '<!-- bench:summary:end -->'

export function writeResults(report: BenchReport, markdown: string, svg: string, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true })
  const stamp = report.startedAt.replace(/[:.]/g, '-')
  const files: string[] = []
  for (const [ext, content] of [
    ['json', JSON.stringify(report, null, 2) + '\n'],
    ['md', markdown + '\n'],
    ['svg', svg + '\n']
  ] as const) {
    const file = join(outDir, `${stamp}.${ext}`)
    writeFileSync(file, content)
    copyFileSync(file, join(outDir, `latest.${ext}`))
    files.push(file)
  }
  return files
}

/** Replaces the block between the summary markers of bench/README.md with this run's summary, headings one level down. */
export function updateReadme(readmePath: string, markdown: string, chartPath: string): void {
  const readme = readFileSync(readmePath, 'utf8')
  const from = readme.indexOf(START)
  const to = readme.indexOf(END)
  if (from === -1 || to === -1) throw new Error(`${readmePath}: no ${START} … ${END} block to replace`)
  const block = `${START}\n\n![latency against throughput, batch sizes](${chartPath})\n\n${markdown.replace(/^(#+) /gm, '$1# ')}\n\n`
  writeFileSync(readmePath, readme.slice(0, from) + block + readme.slice(to))
}
