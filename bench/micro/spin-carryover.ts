/**
 * Does an onnxruntime session that keeps spinning after its run speed up the next image's decode, and across how long
 * a gap (issue 13, bench/README section 10: on a Xeon VM the naive baseline, whose session spins on after each run,
 * led at one connection)? Not a test: run by hand,
 *
 *   bun bench/micro/spin-carryover.ts [rounds = 6] [gaps ms = 0,0.2,0.5,1,2]
 *
 * Two sessions on the main thread with the worker's session options (session-options.ts: 2 intra-op threads,
 * spinning on), one of them with `session.force_spinning_stop` as the server's lone session has. Each image: a run of the official test vector,
 * the thread asleep for the gap (a futex wait, as a server waits for the next request), then the server's
 * Preprocessor on chelsea.jpg, timed. Blocks of 20 per session and gap, rotating; the first round warms up.
 */
import * as ort from 'onnxruntime-node'
import { join, resolve } from 'node:path'
import { workerSessionOptions } from '../../src/inference/session-options'
import { Preprocessor } from '../../src/preprocessing/preprocess'
import { defaultModel } from '../lib/default-model'
import { summarise } from '../lib/stats'

const ROOT = resolve(import.meta.dir, '../..')
const rounds = Number(process.argv[2] ?? 6)
const gaps = (process.argv[3] ?? '0,0.2,0.5,1,2').split(',').map(Number)
const bytes = await Bun.file(join(ROOT, 'test/fixtures/images/chelsea.jpg')).bytes()
const input = new Float32Array(await Bun.file(join(ROOT, 'test/fixtures/vectors/input_0.f32')).arrayBuffer())
const { config, model } = defaultModel()
const preprocessor = new Preprocessor(model, config)

const session = (stopAfterRun: boolean) =>
  ort.InferenceSession.create(join(ROOT, 'models/mobilenetv2/1/model.onnx'), workerSessionOptions(2, true, stopAfterRun))
const sessions = { 'spins on': await session(false), 'stops after run': await session(true) }
const sleeper = new Int32Array(new SharedArrayBuffer(4))

const decodes = new Map<string, number[]>()
for (let round = 0; round <= rounds; round++)
  for (const gap of gaps)
    for (const [name, s] of Object.entries(sessions)) {
      const key = `${name}, gap ${gap} ms`
      if (!decodes.has(key)) decodes.set(key, [])
      for (let i = 0; i < 20; i++) {
        await s.run({ input: new ort.Tensor('float32', input, [1, 3, 224, 224]) })
        if (gap > 0) Atomics.wait(sleeper, 0, 0, gap)
        const started = performance.now()
        await preprocessor.run(bytes)
        if (round > 0) decodes.get(key)!.push(performance.now() - started)
      }
    }

console.log('| session | gap ms | decode p50 ms | p90 ms |\n| --- | --- | --- | --- |')
for (const [key, list] of decodes) {
  const [name, gap] = key.split(', gap ')
  const { p50, p90 } = summarise(list)
  console.log(`| ${name} | ${gap!.replace(' ms', '')} | ${p50.toFixed(2)} | ${p90.toFixed(2)} |`)
}
