import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'
import { CAT_CLASSES, IMAGES, imageBytes, multipart, type PredictBody } from '../helpers/requests'

// The third shipped model: uint8 NHWC 192×192 input "pixels", normalisation inside the graph, probabilities out.
const THIRD = 'mobilenetv2-uint8-nhwc'
const photos = readdirSync(IMAGES).sort()

let server: ServerProcess
beforeAll(async () => {
  server = await startServerProcess()
})
afterAll(async () => {
  await server?.stop()
})

async function classify(model: string, photo: string): Promise<PredictBody> {
  const response = await fetch(`${server.url}/v1/models/${model}/predict`, {
    method: 'POST',
    body: multipart([{ bytes: await imageBytes(photo) }])
  })
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

  for (const photo of photos)
    test(`${photo}: top-1 agrees with mobilenetv2`, async () => {
      const [reference, third] = await Promise.all([classify('mobilenetv2', photo), classify(THIRD, photo)])
      expect(third.model).toBe(THIRD)
      expect(third.predictions[0]![0]!.class_index).toBe(reference.predictions[0]![0]!.class_index)
      // Probabilities are returned as the graph gives them: already a distribution, not softmaxed twice.
      expect(third.predictions[0]![0]!.score).toBeGreaterThan(0.2)
      if (photo.startsWith('chelsea')) expect(CAT_CLASSES).toContain(third.predictions[0]![0]!.class_index)
    })
})
