/// <reference lib="webworker" />
/** worker-hop.ts's worker: the same session as the main thread's, run on the tensor each message carries. */
import * as ort from 'onnxruntime-node'

declare const self: Worker
const { modelPath, intraOpThreads } = (await new Promise<MessageEvent>((resolve) => (self.onmessage = resolve))).data
const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: intraOpThreads })
self.onmessage = async (event: MessageEvent<Float32Array>) => {
  const output = (await session.run({ input: new ort.Tensor('float32', event.data, [1, 3, 224, 224]) })).output!.data as Float32Array
  const scores = output.slice()
  self.postMessage(scores, [scores.buffer])
}
self.postMessage('ready')
