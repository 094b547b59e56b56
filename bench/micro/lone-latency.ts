/**
 * Lone-image latency under several worker-pool thread settings (issue 13). Every setting's pool is started, then
 * the settings take turns: a block of 40 images, one at a time with a 3 ms gap (preprocess → batcher → pool →
 * top-5, as the limit's 1 × 1 cell), then the next setting, rotating for 5 rounds, with a 300 ms pause before
 * each block. Blocks, not image-by-image turns: a pool whose threads spin keeps spinning a while after its run,
 * and image by image that lands on the next setting (1 × 2 spinning read 6.3 or 13.7 ms of inference depending
 * on which setting ran before it). Not a test: run by hand,
 *
 *   bun bench/micro/lone-latency.ts [images per block = 40] [rounds = 5]
 */
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { toWorkerModel, WorkerPool, type PoolOptions } from '../../src/inference/pool'
import { softmax, topK } from '../../src/inference/postprocess'
import { Preprocessor } from '../../src/preprocessing/preprocess'
import { defaultModel } from '../lib/default-model'
import { batcherFor } from '../lib/limit-cell'
import { IMAGES } from '../lib/payloads'
import { summarise } from '../lib/stats'

const ROOT = resolve(import.meta.dir, '../..')
const block = Number(process.argv[2] ?? 40)
const rounds = Number(process.argv[3] ?? 5)
const cores = availableParallelism()
const { config, model } = defaultModel()
const jpeg = await Bun.file(resolve(ROOT, IMAGES.jpeg.path)).bytes()
const preprocessor = new Preprocessor(model, config)

const settings: Record<string, Omit<PoolOptions, 'models'>> = {
  [`2 × 1 + lone ${cores}, lone spinning within its runs (default)`]: {
    size: 2,
    intraOpThreads: 1,
    loneIntraOpThreads: cores,
    spinning: false,
    loneSpinning: true
  },
  [`2 × 1 + lone ${cores}, every thread sleeping`]: {
    size: 2,
    intraOpThreads: 1,
    loneIntraOpThreads: cores,
    spinning: false,
    loneSpinning: false
  },
  '2 × 1, spinning on (before issue 13)': { size: 2, intraOpThreads: 1, spinning: true },
  [`1 × ${cores}, spinning on (onnxruntime's defaults)`]: { size: 1, intraOpThreads: cores, spinning: true }
}
const runs = Object.entries(settings).map(([name, options]) => {
  const pool = new WorkerPool({ ...options, models: [toWorkerModel(model)] })
  const batcher = batcherFor(pool, model, { maxBatchSize: 1, maxBatchDelayMs: 0 })
  return { name, pool, batcher, latencies: [] as number[], inference: [] as number[] }
})

async function once(run: (typeof runs)[number]): Promise<void> {
  await Bun.sleep(3) // a lone request finds its threads asleep
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
  for (let round = 0; round < rounds; round++)
    for (let k = 0; k < runs.length; k++) {
      const run = runs[(round + k) % runs.length]!
      await Bun.sleep(300) // the previous block's spinning threads stop
      for (let i = 0; i < block; i++) await once(run)
    }
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
