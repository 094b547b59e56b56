import { expect, test } from 'bun:test'
import * as ort from 'onnxruntime-node'
import { IDENTITY_MODEL } from '../../src/inference/runtime-warmup'

test('the hand-built warm-up graph is a valid ONNX model that onnxruntime loads and runs (y = x)', async () => {
  const session = await ort.InferenceSession.create(IDENTITY_MODEL)
  expect([session.inputNames, session.outputNames]).toEqual([['x'], ['y']])
  const { y } = await session.run({ x: new ort.Tensor('float32', new Float32Array([4.5]), [1]) })
  expect([...(y!.data as Float32Array)]).toEqual([4.5])
  await session.release()
})
