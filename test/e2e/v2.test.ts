import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { graphAnswer, manifestInput, runGraph } from '../helpers/model-reference'
import { base64, CAT_CLASSES, IMAGES, imageBytes, multipart, type PredictBody } from '../helpers/requests'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'
import { inferRequest, readInferResult, type ClientInput, type ClientOutput } from '../helpers/v2-client'

// The Open Inference Protocol on the real server with the real models: the tensor input equals running the
// graph directly (onnxruntime-node in this test), the BYTES input gives /v1's classes for each model, and the
// third model (uint8 NHWC) serves through /v2 too. JSON and binary payloads. Every expected number is computed
// on this machine: int8 kernels differ between CPUs, so figures recorded elsewhere would not hold.
const THIRD = 'mobilenetv2-uint8-nhwc'
const photos = readdirSync(IMAGES).sort()
const vector = new Float32Array(await Bun.file(join(import.meta.dir, '../fixtures/vectors/input_0.f32')).arrayBuffer())

let server: ServerProcess
beforeAll(async () => {
  server = await startServerProcess()
})
afterAll(async () => {
  expect(await server?.stop()).toBe(0)
})

async function infer(model: string, inputs: ClientInput[], outputs?: ClientOutput[], id?: string) {
  const { body, headers } = inferRequest(inputs, outputs, id)
  const response = await fetch(`${server.url}/v2/models/${model}/infer`, { method: 'POST', body: body as unknown as BodyInit, headers })
  if (response.status !== 200) throw new Error(`${response.status}: ${await response.text()}`)
  return readInferResult(response)
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0)

describe('tensor input: the same outputs as running the graph directly (within 1e-4)', () => {
  test('mobilenetv2, FP32 [2,3,224,224] in binary, raw logits back in binary', async () => {
    // Two different images in one request: the model zoo's test vector and a dimmed copy of it.
    const batch = new Float32Array(vector.length * 2)
    batch.set(vector)
    batch.set(
      vector.map((v) => v * 0.5),
      vector.length
    )
    const want = await runGraph('mobilenetv2', { data: batch, shape: [2, 3, 224, 224] })
    const result = await infer(
      'mobilenetv2',
      [{ name: 'input', shape: [2, 3, 224, 224], datatype: 'FP32', data: batch, binary: true }],
      undefined,
      'tensor-1'
    )
    expect(result.json).toMatchObject({ model_name: 'mobilenetv2', model_version: '1', id: 'tensor-1' })
    expect(result.json.outputs[0]).toMatchObject({
      name: 'output',
      datatype: 'FP32',
      shape: [2, 1000],
      parameters: { binary_data_size: 8000 }
    })
    const got = result.asArray('output') as Float32Array
    expect(got.length).toBe(2000)
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-4)
  })

  test('mobilenetv2, FP32 in JSON, JSON output', async () => {
    const want = await runGraph('mobilenetv2', { data: vector, shape: [1, 3, 224, 224] })
    const result = await infer(
      'mobilenetv2',
      [{ name: 'input', shape: [1, 3, 224, 224], datatype: 'FP32', data: vector, binary: false }],
      [{ name: 'output', binary: false }]
    )
    expect(result.json.outputs[0]!.parameters).toBeUndefined()
    expect(maxAbsDiff(result.asArray('output') as Float32Array, want)).toBeLessThan(1e-4)
  })

  test('mobilenetv2-uint8-nhwc, UINT8 [1,192,192,3] of the cat, in JSON and in binary: probabilities as the graph gives them', async () => {
    const { data: pixels } = await manifestInput(THIRD, await imageBytes('chelsea.jpg'))
    const want = await runGraph(THIRD, { data: pixels, shape: [1, 192, 192, 3] })
    for (const binary of [true, false]) {
      const result = await infer(
        THIRD,
        [{ name: 'pixels', shape: [1, 192, 192, 3], datatype: 'UINT8', data: pixels, binary }],
        [{ name: 'probabilities', binary }]
      )
      const got = result.asArray('probabilities') as Float32Array
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-4)
      expect(CAT_CLASSES).toContain(got.indexOf(Math.max(...got)))
    }
  })
})

describe('BYTES input: encoded images, preprocessed exactly as /v1', () => {
  async function v1Top(model: string, photo: string): Promise<number[]> {
    const response = await fetch(`${server.url}/v1/models/${model}/predict`, {
      method: 'POST',
      body: multipart([{ bytes: await imageBytes(photo) }])
    })
    return ((await response.json()) as PredictBody).predictions[0]!.map((p) => p.class_index)
  }
  const indexOf = (entry: string) => Number(entry.split(':')[1])

  // The reference is /v1 on the same server and model. What both paths feed the graph is checked against the graph
  // run directly: below for mobilenetv2 (raw output), in test/e2e/third-model.test.ts for the third model.
  for (const [model, output] of [
    ['mobilenetv2', 'output'],
    [THIRD, 'probabilities']
  ] as const)
    for (const photo of photos)
      test(`${model}, ${photo}: the classification extension gives /v1's classes (base64 in JSON, raw bytes in binary)`, async () => {
        const bytes = await imageBytes(photo)
        const v1 = await v1Top(model, photo)
        const viaJson = await infer(
          model,
          [{ name: 'image', shape: [1], datatype: 'BYTES', data: [base64(bytes)], binary: false }],
          [{ name: output, binary: false, classCount: 5 }]
        )
        const viaBinary = await infer(
          model,
          [{ name: 'image', shape: [1], datatype: 'BYTES', data: [bytes], binary: true }],
          [{ name: output, binary: true, classCount: 5 }]
        )
        for (const result of [viaJson, viaBinary]) {
          expect(result.json.outputs[0]).toMatchObject({ name: output, datatype: 'BYTES', shape: [1, 5] })
          const entries = result.asArray(output) as string[]
          // "score:index:label" with the score printed as std::to_string(float) does.
          for (const entry of entries) expect(entry).toMatch(/^-?\d+\.\d{6}:\d+:.+$/)
          expect(new Set(entries.map(indexOf))).toEqual(new Set(v1))
          expect(indexOf(entries[0]!)).toBe(v1[0]!)
        }
      })

  test('several images in one request, raw output: one row per image, in order, each what the graph gives for it', async () => {
    const images = await Promise.all(['chelsea.jpg', 'coffee.png'].map(imageBytes))
    const result = await infer('mobilenetv2', [{ name: 'image', shape: [2], datatype: 'BYTES', data: images, binary: true }])
    expect(result.json.outputs[0]).toMatchObject({ name: 'output', datatype: 'FP32', shape: [2, 1000] })
    const scores = result.asArray('output') as Float32Array
    for (const [i, bytes] of images.entries())
      expect(maxAbsDiff(scores.subarray(i * 1000, (i + 1) * 1000), await graphAnswer('mobilenetv2', bytes))).toBeLessThan(1e-4)
    const row = scores.subarray(0, 1000)
    expect(CAT_CLASSES).toContain(row.indexOf(Math.max(...row)))
  })
})
