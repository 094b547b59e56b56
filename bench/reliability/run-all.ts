/**
 * Runs every reliability script in sequence (one server at a time, so they do not share the cores) and
 * writes their tables to bench/results/reliability-<timestamp>.md and reliability-latest.md.
 *
 *   bun bench/reliability/run-all.ts [--quick] [--soak-minutes 10] [--skip soak,faults]
 *
 * --quick passes --quick to each script (about 3 minutes in all, soak 1 minute); the full run takes about
 * 4 minutes plus the soak.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { flags, ROOT } from './common'

const opts = flags({ quick: false, 'soak-minutes': 10, skip: '' })
const skip = new Set(opts.skip.split(',').filter(Boolean))

const scripts: [string, string[]][] = [
  ['overload', opts.quick ? ['--quick'] : []],
  ['slow-clients', opts.quick ? ['--quick'] : []],
  ['disconnects', opts.quick ? ['--quick'] : []],
  ['shutdown', opts.quick ? ['--quick'] : []],
  ['faults', opts.quick ? ['--quick'] : []],
  ['memory-flood', opts.quick ? ['--quick'] : []],
  ['soak', opts.quick ? ['--minutes', '1', '--warmup', '15', '--window', '10'] : ['--minutes', String(opts['soak-minutes'])]]
]

const sections: string[] = []
const failed: string[] = []
for (const [name, args] of scripts) {
  if (skip.has(name)) continue
  process.stderr.write(`\n== ${name} ${args.join(' ')}\n`)
  const proc = Bun.spawn(['bun', `bench/reliability/${name}.ts`, ...args], { cwd: ROOT, stdout: 'pipe', stderr: 'inherit' })
  const out = await new Response(proc.stdout).text()
  process.stdout.write(out)
  const code = await proc.exited
  sections.push(out.trim())
  if (code !== 0) failed.push(`${name} (exit ${code})`)
}

const stamp = new Date().toISOString()
const text = [
  `# bun-infer reliability run — ${stamp}`,
  '',
  ...sections,
  '',
  failed.length ? `Failed: ${failed.join(', ')}` : 'Every check passed.',
  ''
].join('\n\n')
const dir = join(ROOT, 'bench/results')
mkdirSync(dir, { recursive: true })
writeFileSync(join(dir, `reliability-${stamp.replaceAll(':', '-')}.md`), text)
writeFileSync(join(dir, 'reliability-latest.md'), text)
process.stderr.write(`\nwrote bench/results/reliability-latest.md${failed.length ? `; failed: ${failed.join(', ')}` : ''}\n`)
process.exitCode = failed.length ? 1 : 0
