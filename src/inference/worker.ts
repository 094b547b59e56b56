/// <reference lib="webworker" />
/**
 * One inference worker: owns an onnxruntime session per model and runs one batch at a time.
 * `session.run` blocks its thread for the whole run, which is why it lives here and not on the HTTP thread.
 */
import * as ort from 'onnxruntime-node'
import { buildLookupTables, hwcToChw } from '../preprocessing/normalise'
import type { FromWorker, SessionThreads, ToWorker, WorkerModel } from './protocol'

declare const self: Worker

interface Loaded {
  session: ort.InferenceSession
  /** The same model with more intra-op threads, for a batch that has the machine to itself. */
  lone?: ort.InferenceSession
  threads: SessionThreads
  model: WorkerModel
  tables: Float32Array[]
}
const sessions = new Map<string, Loaded>()
/** The float tensor for a batch of RGB bytes, reused across runs (grown as needed): no allocation per batch. */
let scratch = new Float32Array(0)
const reply = (message: FromWorker, transfer: Transferable[] = []) => self.postMessage(message, transfer)

function checkInterface(session: ort.InferenceSession, model: WorkerModel): void {
  const where = `${model.modelPath} (model.json of "${model.key}")`
  if (!session.inputNames.includes(model.inputName))
    throw new Error(`${where}: field "input.name": "${model.inputName}" is not a graph input (graph has ${session.inputNames.join(', ')})`)
  if (!session.outputNames.includes(model.outputName))
    throw new Error(`${where}: field "output.name": "${model.outputName}" is not a graph output (graph has ${session.outputNames.join(', ')})`)
  const input = session.inputMetadata.find((m) => m.name === model.inputName)
  if (input?.isTensor) {
    const dims = input.shape.slice(1)
    const expected = model.imageDims
    if (dims.length !== 3 || dims.some((d, i) => typeof d === 'number' && d !== expected[i]))
      throw new Error(`${where}: field "input": graph input shape [${input.shape.join(',')}] does not fit [N,${expected.join(',')}]`)
  }
}

async function createSession(model: WorkerModel, intraOpThreads: number, spinning: boolean): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(model.modelPath, {
      intraOpNumThreads: intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // session.intra_op.allow_spinning: idle intra-op threads sleep instead of busy-waiting, so a
      // session's spare threads do not take CPU from decoding or from the other workers.
      extra: { session: { intra_op: { allow_spinning: spinning ? '1' : '0' } } }
    })
  } catch (error) {
    throw new Error(`${model.modelPath}: cannot load as ONNX (${(error as Error).message.split('\n')[0]})`)
  }
}

async function load(models: WorkerModel[], threads: SessionThreads): Promise<void> {
  for (const model of models) {
    const session = await createSession(model, threads.intraOpThreads, threads.spinning)
    checkInterface(session, model)
    const lone = threads.loneIntraOpThreads > 0 ? await createSession(model, threads.loneIntraOpThreads, threads.spinning) : undefined
    sessions.set(model.key, { session, lone, threads, model, tables: buildLookupTables(model.normalise) })
  }
}

async function run(message: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const entry = sessions.get(message.model)
  if (!entry) throw new Error(`worker has no session for model ${message.model}`)
  // Test-only fault hooks, refused unless enabled in config: die, or spin forever like a wedged kernel.
  if (message.fault === 'crash') process.exit(70)
  if (message.fault === 'hang') for (;;);
  const { model, tables } = entry
  const useLone = message.lone === true && entry.lone !== undefined
  const session = useLone ? entry.lone! : entry.session
  const started = performance.now()
  const feeds = { [model.inputName]: new ort.Tensor('float32', toTensor(message.input, message.batchSize, tables), [message.batchSize, ...model.imageDims]) }
  const results = await session.run(feeds, [model.outputName])
  const tensor = results[model.outputName]!
  const data = tensor.data as Float32Array
  if (data.length !== message.batchSize * model.classes)
    throw new Error(`output "${model.outputName}" has ${data.length} values, expected ${message.batchSize}×${model.classes}`)
  // Copy out of onnxruntime's buffer (it may be a view into native memory) so it can be transferred.
  const output = data.slice()
  const intraOpThreads = useLone ? entry.threads.loneIntraOpThreads : entry.threads.intraOpThreads
  reply({ type: 'result', jobId: message.jobId, output, inferenceMs: performance.now() - started, intraOpThreads }, [output.buffer])
}

/** RGB bytes (HWC per image) → normalised CHW floats in the scratch buffer; floats pass through. */
function toTensor(input: Uint8Array | Float32Array, batchSize: number, tables: Float32Array[]): Float32Array {
  if (input instanceof Float32Array) return input
  if (scratch.length < input.length) scratch = new Float32Array(input.length)
  const perImage = input.length / batchSize
  for (let i = 0; i < batchSize; i++) hwcToChw(input.subarray(i * perImage, (i + 1) * perImage), tables, scratch, i * perImage)
  return scratch.subarray(0, input.length)
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data
  if (message.type === 'load')
    load(message.models, message.threads).then(
      () => reply({ type: 'ready' }),
      (error: Error) => reply({ type: 'load-failed', message: error.message })
    )
  else if (message.type === 'run')
    run(message).catch((error: Error) => reply({ type: 'run-failed', jobId: message.jobId, message: error.message }))
}
