/**
 * What running a lone image's inference on a worker thread costs against running it on the thread that made its
 * tensor (issue 13: the naive baseline calls session.run on its HTTP thread; the server never does, because a run
 * blocks the event loop). Not a test: run by hand,
 *
 *   bun bench/micro/worker-hop.ts [rounds = 8] [block = 20] [busy ms before each image = 5]
 *
 * One session on the main thread, one on a worker, the same options (onnxruntime's defaults: one intra-op thread
 * per core this process may use, spinning on). Each image: the main thread is busy for a while first (standing in
 * for the decode, so the worker's cores have gone idle as they do at one connection), copies the official test
 * vector into a fresh tensor, then runs it here or posts it (transferred) to the worker and waits for the scores.
 * The two take turns in blocks; latency is from the copy to the scores in hand. Needs only onnxruntime-node.
 */
import * as ort from 'onnxruntime-node'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { summarise } from '../lib/stats'

const ROOT = resolve(import.meta.dir, '../..')
const rounds = Number(process.argv[2] ?? 8)
const block = Number(process.argv[3] ?? 20)
const busyMs = Number(process.argv[4] ?? 5)
const modelPath = join(ROOT, 'models/mobilenetv2/1/model.onnx')
const input = new Float32Array(await Bun.file(join(ROOT, 'test/fixtures/vectors/input_0.f32')).arrayBuffer())
const intraOpThreads = availableParallelism()

const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: intraOpThreads })
const worker = new Worker(join(import.meta.dir, 'worker-hop-worker.ts'))
const ready = new Promise((resolve) => (worker.onmessage = resolve))
worker.postMessage({ modelPath, intraOpThreads })
await ready

async function here(tensor: Float32Array): Promise<Float32Array> {
  return (await session.run({ input: new ort.Tensor('float32', tensor, [1, 3, 224, 224]) })).output!.data as Float32Array
}

function there(tensor: Float32Array): Promise<Float32Array> {
  return new Promise((resolve) => {
    worker.onmessage = (event: MessageEvent<Float32Array>) => resolve(event.data)
    worker.postMessage(tensor, [tensor.buffer])
  })
}

const busy = (ms: number) => {
  const end = performance.now() + ms
  while (performance.now() < end);
}

const paths = { 'main thread': here, worker: there }
const samples: Record<string, number[]> = { 'main thread': [], worker: [] }
let top = -1
for (let round = -1; round < rounds; round++)
  for (const [name, run] of Object.entries(paths))
    for (let i = 0; i < block; i++) {
      busy(busyMs)
      const started = performance.now()
      const scores = await run(input.slice())
      const ms = performance.now() - started
      const best = scores.indexOf(Math.max(...scores))
      if (top >= 0 && best !== top) throw new Error(`${name} gave class ${best}, the other path ${top}`)
      top = best
      if (round >= 0) samples[name]!.push(ms) // round -1 warms both up
    }
worker.terminate()

console.log(`${intraOpThreads} intra-op threads, ${busyMs} ms busy before each image, ${rounds} rounds of ${block} per path`)
console.log('| path | p50 ms | p90 ms |\n| --- | --- | --- |')
const stats = Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, summarise(list)]))
for (const [name, { p50, p90 }] of Object.entries(stats)) console.log(`| ${name} | ${p50.toFixed(3)} | ${p90.toFixed(3)} |`)
console.log(`\nthe worker over the main thread: ${(stats.worker!.p50 - stats['main thread']!.p50).toFixed(3)} ms at p50`)
