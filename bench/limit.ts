/**
 * The limit: what this machine does with no HTTP at all — the server's own Preprocessor, Batcher and
 * WorkerPool driven by in-process loops, over a grid of batch sizes and concurrencies.
 *
 *   bun bench/limit.ts [--duration S] [--grid 1x1,8x16,...] [--images jpeg,png,camera] [--no-floor]
 *                      [--floor-rounds N] [--floor-setting THREADS:spin|nospin] [--no-single] [--json]
 *
 * Then, unless --no-floor, the single-image floor over thread settings (lib/limit-floor.ts), in N rounds
 * (default 3); with --floor-setting, that setting alone, each turn a whole cell long (the paired rounds). The
 * 1 × 1 cell is always measured unless --no-single (the paired rounds of lib/paired.ts need only the best cell
 * and the floor).
 *
 * Run by bench/run.ts as a child process, so process.cpuUsage() bills this work alone. With --json
 * the result is the last stdout line; progress goes to stderr.
 */
import { parseArgs } from 'node:util'
import { toWorkerModel, WorkerPool } from '../src/inference/pool'
import { sessionThreads } from '../src/inference/threads'
import { Preprocessor } from '../src/preprocessing/preprocess'
import { defaultModel } from './lib/default-model'
import { runCell } from './lib/limit-cell'
import { measureFloor, parseFloorSetting } from './lib/limit-floor'
import { IMAGES, type ImageName } from './lib/payloads'
import type { LimitPoint, LimitResult } from './lib/types'

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    duration: { type: 'string', default: '3' },
    grid: { type: 'string', default: '1x1,1x4,4x16,8x16,16x32,32x64,16x64' },
    images: { type: 'string', default: 'jpeg,png,camera' },
    'no-floor': { type: 'boolean', default: false },
    'floor-rounds': { type: 'string', default: '3' },
    'floor-setting': { type: 'string' },
    'no-single': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false }
  }
})
const durationS = Number(values.duration)
// Read before any measuring: a bad value fails at once, not after the grid.
const floorSetting = values['floor-setting'] === undefined ? undefined : parseFloorSetting(values['floor-setting'])
const grid = values.grid!.split(',').map((cell) => {
  const [batchSize, concurrency] = cell.split('x').map(Number)
  if (!batchSize || !concurrency) throw new Error(`--grid: "${cell}" is not BATCHxCONCURRENCY`)
  return { batchSize, concurrency }
})
if (!values['no-single'] && !grid.some((c) => c.batchSize === 1 && c.concurrency === 1)) grid.unshift({ batchSize: 1, concurrency: 1 })
const imageNames = values.images!.split(',') as ImageName[]

// The server's own defaults (and BUN_INFER_* overrides), so the limit runs what the server would.
const { config, model } = defaultModel(process.env)
const preprocessor = new Preprocessor(model, config)
const threads = sessionThreads(config)
const pool = new WorkerPool({ size: config.workers, ...threads, models: [toWorkerModel(model)] })

const log = (line: string) => process.stderr.write(`  limit: ${line}\n`)
const describe = (p: LimitPoint) =>
  `batch ${p.batchSize} × ${p.concurrency} loops: ${p.imgPerS} img/s, ${p.cpuMsPerImage} CPU ms/img, p50 ${p.latencyMs.p50} ms`

try {
  await pool.start()
  const bytes = Object.fromEntries(
    await Promise.all(imageNames.map(async (name) => [name, await Bun.file(IMAGES[name].path).bytes()] as const))
  ) as Record<ImageName, Uint8Array>
  const jpeg = bytes.jpeg ?? (await Bun.file(IMAGES.jpeg.path).bytes())
  const warmupS = Math.min(1, durationS / 3)
  const points: LimitPoint[] = []
  for (const cell of grid) {
    const point = await runCell(pool, model, preprocessor, jpeg, { ...cell, durationS, warmupS })
    log(describe(point))
    points.push(point)
  }
  const best = points.reduce((a, b) => (b.imgPerS > a.imgPerS ? b : a))
  const single = points.find((p) => p.batchSize === 1 && p.concurrency === 1) ?? best
  const byPayload: Record<string, LimitPoint> = { jpeg: best }
  for (const name of imageNames.filter((n) => n !== 'jpeg')) {
    byPayload[name] = await runCell(pool, model, preprocessor, bytes[name], { ...best, durationS, warmupS })
    log(`${name}: ${describe(byPayload[name]!)}`)
  }
  // The floor's one-worker pools would share the cores with this one: close it first.
  await pool.close()
  const floor = values['no-floor']
    ? undefined
    : await measureFloor(model, preprocessor, jpeg, { durationS, warmupS, rounds: Number(values['floor-rounds']) }, log, floorSetting)
  const result: LimitResult = {
    model: model.key,
    workers: config.workers,
    ...threads,
    floor,
    grid: points,
    best,
    single,
    byPayload
  }
  if (values.json) process.stdout.write(JSON.stringify(result) + '\n')
  else log(`best ${describe(best)}; single image ${single.latencyMs.p50} ms`)
} finally {
  await pool.close()
}
