import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { gapFromGraph, graphAnswer } from '../helpers/model-reference'
import { CAT_CLASSES, IMAGES, imageBytes, multipart, type PredictBody } from '../helpers/requests'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

// The third shipped model: uint8 NHWC 192×192 input "pixels", normalisation inside the graph, probabilities out.
// Its answers are checked against the graph run directly on this machine, not against MobileNetV2's: two int8
// models at two resolutions need not agree where a photo's top classes are close, and which classes are close
// depends on the CPU's int8 kernels.
const THIRD = 'mobilenetv2-uint8-nhwc'
const photos = readdirSync(IMAGES).sort()

let server: ServerProcess
beforeAll(async () => {
  server = await startServerProcess()
})
afterAll(async () => {
  await server?.stop()
})

async function classify(model: string, photo: Uint8Array): Promise<PredictBody> {
  const response = await fetch(`${server.url}/v1/models/${model}/predict`, { method: 'POST', body: multipart([{ bytes: photo }]) })
  expect(response.status).toBe(200)
  return (await response.json()) as PredictBody
}

describe(`${THIRD} through /v1 (real server, real photos)`, () => {
  test('is described with its own tensor interface', async () => {
    const info = (await (await fetch(`${server.url}/v1/models/${THIRD}`)).json()) as Record<string, any>
    expect(info.inputs).toEqual([{ name: 'pixels', datatype: 'UINT8', shape: [-1, 192, 192, 3] }])
    expect(info.outputs).toEqual([{ name: 'probabilities', datatype: 'FP32', shape: [-1, 1000], kind: 'probabilities' }])
    expect(info.preprocessing).toMatchObject({ layout: 'NHWC', channel_order: 'RGB', crop: [192, 192] })
    expect(info.preprocessing.mean).toBeUndefined()
  })

  // A pixel moved, a channel swapped, an NCHW layout or a second softmax each change a top-5 score by 0.02 or more.
  for (const photo of photos)
    test(`${photo}: the top-5 scores are the graph's own for the manifest's pixels (within 1e-4)`, async () => {
      const bytes = await imageBytes(photo)
      const body = await classify(THIRD, bytes)
      expect(body.model).toBe(THIRD)
      expect(body.predictions[0]).toHaveLength(5)
      expect(gapFromGraph(body.predictions[0]!, await graphAnswer(THIRD, bytes))).toBeLessThan(1e-4)
    })

  // The one cross-model check: the cat classes (281–285) hold most of the probability on both models, a margin no
  // CPU's rounding closes.
  for (const photo of photos.filter((name) => name.startsWith('chelsea')))
    test(`${photo}: a domestic cat on both models`, async () => {
      const bytes = await imageBytes(photo)
      for (const model of ['mobilenetv2', THIRD])
        expect(CAT_CLASSES).toContain((await classify(model, bytes)).predictions[0]![0]!.class_index)
    })
})
