/**
 * How far below a thread setting's own p50 the best of the four settings lands when each round takes its minimum:
 * why a paired round measures the floor at one chosen setting (bench/lib/paired.ts), not the best of four. The
 * single-image floor of bench/limit.ts on one-worker pools, every setting one turn of 5/3 s per round, then per
 * round the minimum over the settings against the p50s of the setting with the best median. Not a test: run by hand,
 *
 *   bun bench/micro/floor-bias.ts [rounds = 12]
 */
import { resolve } from 'node:path'
import { toWorkerModel, WorkerPool } from '../../src/inference/pool'
import { Preprocessor } from '../../src/preprocessing/preprocess'
import { defaultModel } from '../lib/default-model'
import { runCell } from '../lib/limit-cell'
import { floorSettings, formatFloorSetting } from '../lib/limit-floor'
// The median the paired rounds take (the mean of the middle two for an even count), so this agrees with the report.
import { median } from '../lib/paired-targets'
import { IMAGES } from '../lib/payloads'

const rounds = Number(process.argv[2] ?? 12)
const { config, model } = defaultModel(process.env)
const preprocessor = new Preprocessor(model, config)
const jpeg = await Bun.file(resolve(import.meta.dir, '../..', IMAGES.jpeg.path)).bytes()
const settings = floorSettings()
const pools = settings.map((setting) => new WorkerPool({ size: 1, ...setting, models: [toWorkerModel(model)] }))
const p50s: number[][] = settings.map(() => [])
try {
  await Promise.all(pools.map((pool) => pool.start()))
  for (let round = 0; round < rounds; round++)
    for (const [i, pool] of pools.entries()) {
      await Bun.sleep(300) // as limit-floor.ts: a spinning pool's threads stop before the next setting
      const point = await runCell(pool, model, preprocessor, jpeg, { batchSize: 1, concurrency: 1, durationS: 5 / 3, warmupS: 0.3 })
      p50s[i]!.push(point.latencyMs.p50)
    }
} finally {
  await Promise.all(pools.map((pool) => pool.close()))
}
const fixed = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' ')
for (const [i, setting] of settings.entries())
  console.log(`${formatFloorSetting(setting).padEnd(9)} p50 per round: ${fixed(p50s[i]!)}; median ${median(p50s[i]!).toFixed(2)} ms`)
const minimum = Array.from({ length: rounds }, (_, r) => Math.min(...p50s.map((xs) => xs[r]!)))
const chosen = p50s.reduce((best, xs, i) => (median(xs) < median(p50s[best]!) ? i : best), 0)
console.log(`each round's minimum over the settings: ${fixed(minimum)}; median ${median(minimum).toFixed(2)} ms`)
console.log(
  `the best setting (${formatFloorSetting(settings[chosen]!)}) by itself: median ${median(p50s[chosen]!).toFixed(2)} ms; ` +
    `the minimum sits ${(median(p50s[chosen]!) - median(minimum)).toFixed(2)} ms under it`
)
