/**
 * Where a lone image's time goes, the server's way against the naive baseline's, in one process (issue 13): two
 * decoders (the server's Preprocessor, naive's one sharp pass) crossed with three inference paths (the server's
 * worker pool and its lone session, one image per batch; naive's session.run on this thread with onnxruntime's
 * defaults, its normalisation loop included; the lone session's options on this thread, without the hop). Both
 * decoders give the same RGB bytes, so the six pairs do the same work by different paths. The pairs take turns in
 * blocks, one image at a time with `gap` ms before each (a client at one connection sends its next request a
 * fraction of a millisecond after the answer); a block keeps a session's after-run spin on the next image of its own
 * pair. No pause between blocks by default: on a Xeon VM, images after a 300 ms pause ran 1.2–1.6 × slower than
 * back to back, which no HTTP run at one connection sees (bench/README, issue 13 section 11). Prints each pair's p50
 * of the decode, of the inference as this thread sees it (the hop included), and of the whole. Not a test: run by
 * hand, the last argument keeping only the pairs whose name holds it (the pool starts only if one of them uses it),
 *
 *   bun bench/micro/lone-vs-naive.ts [rounds = 3] [images per block = 150] [pause ms = 0] [gap ms = 0] [pairs]
 */
import * as ort from 'onnxruntime-node'
import { availableParallelism, cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { toWorkerModel, WorkerPool } from '../../src/inference/pool'
import { workerSessionOptions } from '../../src/inference/session-options'
import { sessionThreads } from '../../src/inference/threads'
import { Preprocessor } from '../../src/preprocessing/preprocess'
import { manifest, MODEL_DIR, normalise, sessionOptions, toRgb } from '../baselines/naive-preprocess'
import { defaultModel } from '../lib/default-model'
import { batcherFor } from '../lib/limit-cell'
import { IMAGES } from '../lib/payloads'
import { summarise } from '../lib/stats'

const ROOT = resolve(import.meta.dir, '../..')
const argument = (position: number, fallback: number) => Number(process.argv[2 + position] ?? fallback)
const rounds = argument(0, 3)
const block = argument(1, 150)
const pause = argument(2, 0)
const gap = argument(3, 0)
const only = process.argv[6] ?? ''
const { config, model } = defaultModel()
const jpeg = await Bun.file(resolve(ROOT, IMAGES.jpeg.path)).bytes()
const preprocessor = new Preprocessor(model, config)
const threads = sessionThreads(config)
const pool = new WorkerPool({ size: config.workers, ...threads, models: [toWorkerModel(model)] })
const batcher = batcherFor(pool, model, { maxBatchSize: 1, maxBatchDelayMs: 0 })
const session = await ort.InferenceSession.create(join(MODEL_DIR, '1/model.onnx'), sessionOptions(availableParallelism(), cpus().length))
let loneSession: Promise<ort.InferenceSession> | undefined
// The server's lone session, run here: the options its worker gives it, without the hop to a worker.
const loneOptions = workerSessionOptions(threads.loneIntraOpThreads || threads.intraOpThreads, threads.loneSpinning, threads.loneSpinning)
const lone = () => (loneSession ??= ort.InferenceSession.create(join(MODEL_DIR, '1/model.onnx'), loneOptions))
const size = manifest.input.width as number

const decoders = { server: (b: Uint8Array) => preprocessor.run(b), naive: (b: Uint8Array) => toRgb(b) }
const inferences = {
  'server pool': async (rgb: Uint8Array) => {
    await batcher.submit(model.key, [rgb])
  },
  'naive session.run': (rgb: Uint8Array) => runHere(session, rgb),
  'lone session, calling thread': async (rgb: Uint8Array) => runHere(await lone(), rgb)
}
async function runHere(on: ort.InferenceSession, rgb: Uint8Array): Promise<void> {
  await on.run({ [manifest.input.name]: new ort.Tensor('float32', normalise(rgb), [1, 3, size, size]) })
}
const pairs = Object.entries(decoders)
  .flatMap(([d, decode]) =>
    Object.entries(inferences).map(([i, infer]) => ({
      name: `${d} decode · ${i}`,
      decode,
      infer,
      decodeMs: [] as number[],
      inferMs: [] as number[],
      totalMs: [] as number[]
    }))
  )
  .filter((pair) => pair.name.includes(only))
// Started only when a chosen pair uses it: a run without it shows whether its idle threads slow the other paths.
const usesPool = pairs.some((pair) => pair.name.includes('server pool'))

async function once(pair: (typeof pairs)[number]): Promise<void> {
  if (gap > 0) await Bun.sleep(gap)
  else await new Promise((r) => setImmediate(r))
  const started = performance.now()
  const rgb = await pair.decode(jpeg)
  const decoded = performance.now()
  await pair.infer(rgb)
  const done = performance.now()
  pair.decodeMs.push(decoded - started)
  pair.inferMs.push(done - decoded)
  pair.totalMs.push(done - started)
}

try {
  if (usesPool) await pool.start()
  for (let i = 0; i < 10; i++) for (const pair of pairs) await once(pair) // warm-up, not kept
  for (const pair of pairs) pair.decodeMs.length = pair.inferMs.length = pair.totalMs.length = 0
  for (let round = 0; round < rounds; round++)
    for (let k = 0; k < pairs.length; k++) {
      if (pause > 0) await Bun.sleep(pause)
      const pair = pairs[(round + k) % pairs.length]!
      for (let i = 0; i < block; i++) await once(pair)
    }
} finally {
  if (usesPool) await pool.close()
  await session.release()
  await (await loneSession)?.release()
}
console.log(
  `gap ${gap} ms, pool ${usesPool ? 'started' : 'not started'}, ${availableParallelism()} of ${cpus().length} cores, ${rounds} rounds of ${block}, ${pause} ms before each block`
)
console.log('| decode · inference | decode p50 ms | inference p50 ms | whole p50 ms | whole p90 ms |')
console.log('| --- | --- | --- | --- | --- |')
for (const p of pairs) {
  const t = summarise(p.totalMs)
  console.log(
    `| ${p.name} | ${summarise(p.decodeMs).p50.toFixed(2)} | ${summarise(p.inferMs).p50.toFixed(2)} | ${t.p50.toFixed(2)} | ${t.p90.toFixed(2)} |`
  )
}
