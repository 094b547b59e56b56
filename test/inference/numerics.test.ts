import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import type { WorkerPool } from '../../src/inference/pool'
import { softmax, topK } from '../../src/inference/postprocess'
import { normalisationOf } from '../../src/models/manifest'
import { discoverModels } from '../../src/models/catalog'
import { buildLookupTables, hwcToChw } from '../../src/preprocessing/normalise'
import { Preprocessor } from '../../src/preprocessing/preprocess'
import { MODELS_DIR } from '../../tools/model-repo'
import { startPool } from '../helpers/pool'

const FIXTURES = join(import.meta.dir, '../fixtures')
const models = discoverModels(MODELS_DIR, { maxBatchSize: 0, maxBatchDelayMs: -1 })
const limits = { maxImageBytes: 16 << 20, maxImagePixels: 40_000_000, maxJpegScans: 100, maxProgressivePixels: 16_000_000 }
const expected = (await Bun.file(join(FIXTURES, 'expected-top5.json')).json()).results as Record<
  string,
  Record<string, Array<{ index: number; prob: number }>>
>
const FILE_OF_MODEL = { mobilenetv2: 'mobilenetv2-12-int8.onnx', shufflenetv2: 'shufflenet-v2-12-int8.onnx' } as const
const f32 = async (name: string) => new Float32Array(await Bun.file(join(FIXTURES, 'vectors', name)).arrayBuffer())

let pool: WorkerPool
beforeAll(async () => {
  pool = await startPool(models.specs())
})
afterAll(() => pool.close())

describe('normalisation', () => {
  test('lookup tables + HWC→CHW equal (x/scale − mean)/std per channel', () => {
    const pre = normalisationOf(models.resolve('mobilenetv2').manifest)!
    const rgb = Uint8Array.from([0, 128, 255, 10, 20, 30])
    const out = new Float32Array(6)
    hwcToChw(rgb, buildLookupTables(pre), out)
    const at = (v: number, c: number) => (v / 255 - pre.mean[c]!) / pre.std[c]!
    const want = [at(0, 0), at(10, 0), at(128, 1), at(20, 1), at(255, 2), at(30, 2)]
    want.forEach((w, i) => expect(out[i]!).toBeCloseTo(w, 5))
  })
})

/**
 * onnxruntime's int8 kernels compute differently on AVX2, AVX-512 VNNI and AMX: the model zoo's test vector is
 * reproduced exactly on some CPUs and only closely on others. So the check is: the same top-2 classes, and
 * logits strongly aligned.
 */
describe('official test vector (ShuffleNetV2 int8, model zoo test_data_set_0)', () => {
  test('our worker reproduces output_0 from input_0 within int8 kernel tolerance', async () => {
    const input = await f32('input_0.f32')
    const want = await f32('output_0.f32')
    const { output } = await pool.run('shufflenetv2:1', input, 1)
    let dot = 0,
      ours = 0,
      theirs = 0
    for (let i = 0; i < want.length; i++) {
      dot += output[i]! * want[i]!
      ours += output[i]! ** 2
      theirs += want[i]! ** 2
    }
    expect(dot / Math.sqrt(ours * theirs)).toBeGreaterThan(0.9)
    const labels = models.resolve('shufflenetv2').labels
    const top2 = (x: Float32Array) => topK(x, 2, labels).map((p) => p.class_index)
    expect(top2(output)).toEqual(top2(want))
    expect(top2(output)[0]).toBe(556)
  })

  test('a batch of 3 gives each image exactly its batch-1 output', async () => {
    const one = await f32('input_0.f32')
    const alone = (await pool.run('shufflenetv2:1', one.slice(), 1)).output
    const batch = new Float32Array(one.length * 3)
    for (let i = 0; i < 3; i++) batch.set(one, i * one.length)
    const { output } = await pool.run('shufflenetv2:1', batch, 3)
    for (let i = 0; i < 3; i++) expect(Array.from(output.subarray(i * 1000, (i + 1) * 1000))).toEqual(Array.from(alone))
  })
})

/**
 * The reference top-5 was recorded on one CPU; int8 kernels differ on others (see above), so the check is on
 * rankings with a tolerance: the reference top-1 is in our top-3 and at least 2 of the 5 classes agree. For the
 * cat, top-1 must be a domestic cat (281–285).
 */
describe('preprocessing + inference vs expected-top5.json', () => {
  for (const modelName of ['mobilenetv2', 'shufflenetv2'] as const)
    for (const image of ['chelsea.jpg', 'chelsea.png', 'coffee.png', 'rocket.jpg'])
      test(`${modelName} ${image}`, async () => {
        const model = models.resolve(modelName)
        const bytes = new Uint8Array(await Bun.file(join(FIXTURES, 'images', image)).arrayBuffer())
        const tensor = await new Preprocessor(model, limits).run(bytes)
        const { output } = await pool.run(model.key, tensor, 1)
        const ours = topK(softmax(output), 5, model.labels).map((p) => p.class_index)
        const reference = expected[FILE_OF_MODEL[modelName]]![image]!.map((p) => p.index)
        expect(ours.slice(0, 3)).toContain(reference[0]!)
        expect(ours.filter((c) => reference.includes(c)).length).toBeGreaterThanOrEqual(2)
        if (image.startsWith('chelsea')) expect([281, 282, 283, 284, 285]).toContain(ours[0]!)
      })
})
