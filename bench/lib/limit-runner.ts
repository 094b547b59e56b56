/** Runs bench/limit.ts as a child process (so its CPU is its own) and reads its JSON result. */
import type { BenchOptions } from './args'
import type { LimitFloor, LimitResult } from './types'

/** Quick mode samples the grid where the best cell has been; the full run walks it wider. */
const QUICK_GRID = '1x1,1x4,4x8,8x16'
const FULL_GRID = '1x1,1x2,1x4,2x4,4x8,4x16,8x16,8x32,16x32,32x64'

export async function runLimitProcess(root: string, args: string[]): Promise<LimitResult> {
  const cmd = ['bun', 'bench/limit.ts', '--json', ...args]
  process.stderr.write(`limit: ${cmd.join(' ')}\n`)
  const proc = Bun.spawn(cmd, { cwd: root, stdout: 'pipe', stderr: 'inherit', stdin: 'ignore' })
  try {
    const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited])
    if (code !== 0) throw new Error(`bench/limit.ts exited with code ${code}`)
    const last = stdout.trim().split('\n').pop() ?? ''
    return JSON.parse(last) as LimitResult
  } finally {
    if (proc.exitCode === null) process.kill(proc.pid, 'SIGKILL')
  }
}

/** The grid on every photo the scenarios use. */
export function runLimit(options: BenchOptions, root: string): Promise<LimitResult> {
  const wanted = (s: string) => options.scenarios.includes(s as never)
  const images = ['jpeg', ...['png', 'camera'].filter((i) => wanted(i) || wanted(`b64-${i}`))]
  const grid = options.quick ? QUICK_GRID : FULL_GRID
  return runLimitProcess(root, ['--duration', String(options.limitDurationS), '--grid', grid, '--images', images.join(',')])
}

/** Per thread setting, the better of two floor runs. */
function betterFloor(a: LimitFloor | undefined, b: LimitFloor | undefined): LimitFloor | undefined {
  if (!a || !b) return a ?? b
  const points = a.points.map((p) => {
    const q = b.points.find((q) => q.intraOpThreads === p.intraOpThreads && q.spinning === p.spinning)
    return q && q.latencyMs.p50 < p.latencyMs.p50 ? q : p
  })
  return { best: points.reduce((x, y) => (y.latencyMs.p50 < x.latencyMs.p50 ? y : x)), points }
}

/** Measures the best, single-image and floor cells again and keeps the better of each (see LimitResult.recheck). */
export async function recheckLimit(limit: LimitResult, options: BenchOptions, root: string, cores: number): Promise<LimitResult> {
  const { batchSize, concurrency } = limit.best
  const again = await runLimitProcess(root, [
    '--duration',
    String(options.limitDurationS),
    '--grid',
    `1x1,${batchSize}x${concurrency}`,
    '--images',
    'jpeg'
  ])
  const best = again.best.imgPerS > limit.best.imgPerS ? again.best : limit.best
  const single = again.single.latencyMs.p50 < limit.single.latencyMs.p50 ? again.single : limit.single
  const cpuBoundImgPerS = Math.round((cores * 1000 * 10) / best.cpuMsPerImage) / 10
  const floor = betterFloor(limit.floor, again.floor)
  return { ...limit, best, single, floor, byPayload: { ...limit.byPayload, jpeg: best }, recheck: again.grid, cpuBoundImgPerS }
}
