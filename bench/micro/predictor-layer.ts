/**
 * What the predictor costs a lone image over the floor's path (issue 13). In one process, on one worker pool wired
 * as the server wires it: the server's `predictor.predict` (catalog, admission, decode turn and slots, abort signal,
 * stage metrics) against the path the limit's floor measures (`classifyOne`: sharp's decode, the batcher and a
 * worker, then softmax and top 5),
 * one image at a time, alternating (3 ms apart, the order swapping each pair). Prints each side's p50 and the CPU its
 * own thread spent per image (schedstat: the JavaScript, sharp's synchronous part, the hops; decoding and inference
 * run on other threads). With http-layer.ts (the app over a bare route) and http-round-trip.ts (HTTP alone) it splits
 * the server's "p50 − floor". Not a test: run by hand,
 *
 *   bun bench/micro/predictor-layer.ts [pairs = 300]
 */
import { resolve } from 'node:path'
import { systemClock } from '../../src/batching/clock'
import { loadConfig } from '../../src/config/load'
import { createWorkerPool } from '../../src/inference/pool-from-config'
import { softmax, topK } from '../../src/inference/postprocess'
import { loadCatalog } from '../../src/models/load-catalog'
import { buildPipeline } from '../../src/pipeline'
import { Preprocessor } from '../../src/preprocessing/preprocess'
import { batcherFor, classifyOne } from '../lib/limit-cell'
import { IMAGES } from '../lib/payloads'
import { summarise } from '../lib/stats'
import { mainThreadCpuNs } from '../../tools/process/procfs'

const ROOT = resolve(import.meta.dir, '../..')
const pairs = Number(process.argv[2] ?? 300)
const config = loadConfig({ BUN_INFER_LOG_LEVEL: 'warn' }, [])
const catalog = loadCatalog(config)
const pool = createWorkerPool(config, catalog, () => {})
const { predictor } = buildPipeline(config, catalog, pool, {
  clock: systemClock,
  inFlight: () => 1,
  sessionsOf: (key) => pool.sessionsOf(key)
})
const model = catalog.resolve(config.defaultModel)
const preprocessor = new Preprocessor(model, config)
const floorBatcher = batcherFor(pool, model, { maxBatchSize: 1, maxBatchDelayMs: 0 })
const jpeg = await Bun.file(resolve(ROOT, IMAGES.jpeg.path)).bytes()
const deadline = new AbortController() // the server passes every request's deadline signal

const paths = {
  predictor: async () => {
    // predict() empties the slots it has decoded, so each call gets its own array
    await predictor.predict(config.defaultModel, undefined, [jpeg], { topK: 5, cache: 'off', signal: deadline.signal })
  },
  floor: async () => {
    const result = await classifyOne(floorBatcher, model, preprocessor, jpeg)
    topK(softmax(result.scores), 5, model.labels)
  }
}
type Path = keyof typeof paths
const latencies: Record<Path, number[]> = { predictor: [], floor: [] }
const cpuMs: Record<Path, number[]> = { predictor: [], floor: [] }

await pool.start()
try {
  for (let i = 0; i < pairs + 20; i++)
    for (const path of (i % 2 ? ['predictor', 'floor'] : ['floor', 'predictor']) as Path[]) {
      await Bun.sleep(3) // a lone image: it finds the workers asleep
      const ns = mainThreadCpuNs(process.pid)
      const started = performance.now()
      await paths[path]()
      const wall = performance.now() - started
      if (i < 20) continue // warm-up, not kept
      latencies[path].push(wall)
      cpuMs[path].push((mainThreadCpuNs(process.pid) - ns) / 1e6)
    }
} finally {
  await pool.close()
}
const p50 = (xs: number[]) => summarise(xs).p50
console.log('| path | p50 ms | p90 ms | own-thread CPU ms per image (p50) |\n| --- | --- | --- | --- |')
for (const path of ['predictor', 'floor'] as const)
  console.log(
    `| ${path} | ${p50(latencies[path]).toFixed(3)} | ${summarise(latencies[path]).p90.toFixed(3)} | ${p50(cpuMs[path]).toFixed(3)} |`
  )
console.log(
  `\nthe predictor over the floor's path: ${(p50(latencies.predictor) - p50(latencies.floor)).toFixed(3)} ms at p50, ` +
    `${(p50(cpuMs.predictor) - p50(cpuMs.floor)).toFixed(3)} ms of CPU, over ${pairs} pairs`
)
