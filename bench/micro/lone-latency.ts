/**
 * Lone-image latency under several worker-pool thread settings, alternated image by image (issue 13). On a
 * shared machine whose load swings 3× within seconds, only neighbouring samples compare: every setting's
 * pool is started, then one image at a time goes through each in turn (preprocess → batcher → pool → top-5,
 * as the limit's 1 × 1 cell). Not a test: run by hand,
 *
 *   bun bench/micro/lone-latency.ts [images per setting = 300]
 */
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { Batcher } from '../../src/batching/batcher'
import { systemClock } from '../../src/batching/clock'
import { loadConfig } from '../../src/config/load'
import { toWorkerModel, WorkerPool, type PoolOptions } from '../../src/inference/pool'
import { softmax, topK } from '../../src/inference/postprocess'
import { discoverModels } from '../../src/models/registry'
import { Preprocessor } from '../../src/preprocessing/preprocess'
import { IMAGES } from '../lib/payloads'
import { summarise } from '../lib/stats'

const ROOT = resolve(import.meta.dir, '../..')
const count = Number(process.argv[2] ?? 300)
const cores = availableParallelism()
const config = loadConfig({}, [])
const model = discoverModels(resolve(ROOT, config.modelsDir), { maxBatchSize: 0, maxBatchDelayMs: -1 }).resolve(config.defaultModel)
const jpeg = await Bun.file(resolve(ROOT, IMAGES.jpeg.path)).bytes()
const preprocessor = new Preprocessor(model, config)

const settings: Record<string, Omit<PoolOptions, 'models'>> = {
  '2 × 1, spinning on (before issue 13)': { size: 2, intraOpThreads: 1, spinning: true },
  [`2 × 1 + lone ${cores}, spinning off (default)`]: { size: 2, intraOpThreads: 1, loneIntraOpThreads: cores, spinning: false },
  [`2 × 1 + lone ${cores}, spinning on`]: { size: 2, intraOpThreads: 1, loneIntraOpThreads: cores, spinning: true },
  [`2 × ${cores}, spinning off`]: { size: 2, intraOpThreads: cores, spinning: false }
}
const runs = Object.entries(settings).map(([name, options]) => {
  const pool = new WorkerPool({ ...options, models: [toWorkerModel(model)] })
  const batcher = new Batcher(pool, { maxQueueImages: 16, clock: systemClock })
  batcher.addModel(model.key, {
    maxBatchSize: 1,
    maxBatchDelayMs: 0,
    inputElements: model.inputElements,
    outputElements: model.manifest.output.classes
  })
  return { name, pool, batcher, latencies: [] as number[], inference: [] as number[] }
})

async function once(run: (typeof runs)[number]): Promise<void> {
  const started = performance.now()
  const [result] = await run.batcher.submit(model.key, [await preprocessor.run(jpeg)])
  topK(softmax(result!.scores), 5, model.labels)
  run.latencies.push(performance.now() - started)
  run.inference.push(result!.inferenceMs)
}

try {
  await Promise.all(runs.map((r) => r.pool.start()))
  for (let i = 0; i < 20; i++) for (const run of runs) await once(run) // warm-up, not kept
  for (const run of runs) run.latencies.length = run.inference.length = 0
  for (let i = 0; i < count; i++) for (let k = 0; k < runs.length; k++) await once(runs[(i + k) % runs.length]!)
} finally {
  await Promise.all(runs.map((r) => r.pool.close()))
}
const first = summarise(runs[0]!.latencies).p50
console.log(`| setting | p50 ms | p90 ms | inference p50 ms | p50 ÷ first |`)
console.log(`| --- | --- | --- | --- | --- |`)
for (const run of runs) {
  const l = summarise(run.latencies)
  console.log(
    `| ${run.name} | ${l.p50.toFixed(2)} | ${l.p90.toFixed(2)} | ${summarise(run.inference).p50.toFixed(2)} | ${(l.p50 / first).toFixed(2)} |`
  )
}
