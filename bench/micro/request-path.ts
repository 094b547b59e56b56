/**
 * The fixed costs on the path of one request, each timed alone. Not a test: run by hand,
 *
 *   bun bench/micro/request-path.ts
 *
 * Body read + multipart parse of the bench's payload (chelsea.jpg), preprocessing (sharp), the hop to an
 * inference worker and back (round trip minus the worker's own inference time), normalisation to CHW floats,
 * softmax + top-5, building + serialising the JSON answer, and Elysia's response check (a TypeBox Encode when
 * the response schema holds a transform, else the compiled Check). Medians over interleaved runs, µs.
 */
import { resolve } from 'node:path'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { hasTransform } from 'elysia/schema'
import { parsePredictBody } from '../../src/http/predict-body'
import { toPredictBody } from '../../src/http/predict-response'
import { toWorkerModel, WorkerPool } from '../../src/inference/pool'
import { softmax, topK } from '../../src/inference/postprocess'
import { normalisationOf } from '../../src/models/manifest'
import { buildLookupTables, hwcToChw } from '../../src/preprocessing/normalise'
import { readJpegHeader } from '../../src/preprocessing/jpeg-header'
import { Preprocessor } from '../../src/preprocessing/preprocess'
import sharp from 'sharp'
import { PredictResponse } from '../../src/schemas/predict'
import { defaultModel } from '../lib/default-model'
import { buildPayload, IMAGES } from '../lib/payloads'

const ROOT = resolve(import.meta.dir, '../..')
const { config, model } = defaultModel()
const payload = await buildPayload(ROOT, 'jpeg')
const jpeg = await Bun.file(resolve(ROOT, IMAGES.jpeg.path)).bytes()
const preprocessor = new Preprocessor(model, config)
const pool = new WorkerPool({ size: 1, intraOpThreads: 1, models: [toWorkerModel(model)] })
await pool.start()

const rgb = await preprocessor.run(jpeg)
const tables = buildLookupTables(normalisationOf(model.manifest)!)
const floats = new Float32Array(rgb.length)
const { output } = await pool.run(model.key, rgb.slice(), 1)
const samples: Record<string, number[]> = {}
const responseSchema = TypeCompiler.Compile(PredictResponse)
const checkResponse = hasTransform(PredictResponse as never)
  ? (body: unknown) => responseSchema.Encode(body)
  : (body: unknown) => responseSchema.Check(body)

function request(): Request {
  return new Request('http://bench/v1/predict', {
    method: 'POST',
    headers: { 'content-type': payload.contentType },
    body: new Uint8Array(payload.body)
  })
}
async function time(name: string, fn: () => unknown | Promise<unknown>): Promise<void> {
  const start = performance.now()
  const extra = await fn()
  ;(samples[name] ??= []).push((performance.now() - start) * 1000 - (typeof extra === 'number' ? extra : 0))
}

try {
  for (let i = 0; i < 300; i++) {
    await time("nothing (the timer's own cost, included in every line)", () => undefined)
    await time('body read + multipart parse', () => parsePredictBody(request(), config))
    await time('preprocess (header, then sharp: decode, resize, crop)', () => preprocessor.run(jpeg))
    await time('  header read by sharp metadata() (other formats)', () => sharp(jpeg, { failOn: 'error', sequentialRead: true }).metadata())
    await time('  header read by readJpegHeader (JPEG)', () => readJpegHeader(jpeg))
    // The worker's own time (normalise + session.run) is subtracted: what is left is the hop both ways.
    await time('hop to the worker and back', async () => (await pool.run(model.key, rgb.slice(), 1)).inferenceMs * 1000)
    await time('normalise HWC bytes → CHW floats (on the worker)', () => hwcToChw(rgb, tables, floats))
    await time('softmax + top-5', () => topK(softmax(output), 5, model.labels))
    const result = {
      model: model.name,
      model_version: '1',
      predictions: [topK(softmax(output), 5, model.labels)],
      cachedImages: 0,
      timings: { decodeWaitMs: 0, preprocessMs: 3, queueMs: 0, inferenceMs: 3, batchSizes: [1] }
    }
    await time('response body + JSON.stringify', () => JSON.stringify(toPredictBody(result, 'req-1')))
    const body = toPredictBody(result, 'req-1')
    await time(`Elysia's response check (${hasTransform(PredictResponse as never) ? 'Encode' : 'Check'})`, () => checkResponse(body))
  }
} finally {
  await pool.close()
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
for (const [name, xs] of Object.entries(samples)) console.log(`${name.padEnd(52)} ${median(xs.slice(50)).toFixed(1).padStart(8)} µs`)
