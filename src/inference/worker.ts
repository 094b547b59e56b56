/// <reference lib="webworker" />
/**
 * One inference worker: owns an onnxruntime session per model and runs one batch at a time.
 * `session.run` blocks its thread for the whole run, which is why it lives here and not on the HTTP thread.
 */
import * as ort from 'onnxruntime-node'
import { imageShape, TensorBuilder } from '../preprocessing/layout'
import { checkInterface } from './interface-check'
import { fullCollection } from '../memory/reclaimer'
import type { FromWorker, SessionThreads, ToWorker, WorkerModel } from './protocol'

declare const self: Worker

interface Loaded {
  session: ort.InferenceSession
  /** The same model with more intra-op threads, for a batch that has the machine to itself. */
  lone?: ort.InferenceSession
  threads: SessionThreads
  model: WorkerModel
  /** Turns queued RGB bytes into this model's input tensor (buffers reused across runs). */
  tensors: TensorBuilder
}
const sessions = new Map<string, Loaded>()
const reply = (message: FromWorker, transfer: Transferable[] = []) => self.postMessage(message, transfer)

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
    sessions.set(model.key, { session, lone, threads, model, tensors: new TensorBuilder(model.input) })
  }
}

async function run(message: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const entry = sessions.get(message.model)
  if (!entry) throw new Error(`worker has no session for model ${message.model}`)
  // Test-only fault hooks, refused unless enabled in config: die, or spin forever like a wedged kernel.
  if (message.fault === 'crash') process.exit(70)
  if (message.fault === 'hang') for (;;);
  const { model, tensors } = entry
  const useLone = message.lone === true && entry.lone !== undefined
  const session = useLone ? entry.lone! : entry.session
  const started = performance.now()
  // A float tensor arrives already in the graph's layout (the /v2 tensor input); RGB bytes are converted here.
  const data = message.input instanceof Float32Array ? message.input : tensors.build(message.input)
  const shape = [message.batchSize, ...imageShape(model.input)]
  const feeds = {
    [model.inputName]: data instanceof Float32Array ? new ort.Tensor('float32', data, shape) : new ort.Tensor('uint8', data, shape)
  }
  const results = await session.run(feeds, [model.outputName])
  const scores = results[model.outputName]!.data as Float32Array
  if (scores.length !== message.batchSize * model.classes)
    throw new Error(`output "${model.outputName}" has ${scores.length} values, expected ${message.batchSize}×${model.classes}`)
  // Copy out of onnxruntime's buffer (it may be a view into native memory) so it can be transferred.
  const output = scores.slice()
  const intraOpThreads = useLone ? entry.threads.loneIntraOpThreads : entry.threads.intraOpThreads
  reply({ type: 'result', jobId: message.jobId, output, inferenceMs: performance.now() - started, intraOpThreads }, [output.buffer])
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
  else if (message.type === 'add-models')
    load(message.models, message.threads).then(
      () => reply({ type: 'models-added' }),
      (error: Error) => reply({ type: 'models-failed', message: error.message })
    )
  else if (message.type === 'remove-models') for (const key of message.keys) void removeSession(key)
}

/** Frees a model version's session (the pool only asks once no batch of it is queued or running). */
async function removeSession(key: string): Promise<void> {
  const entry = sessions.get(key)
  sessions.delete(key)
  await Promise.all([entry?.session.release(), entry?.lone?.release()])
  // The released weights and arenas are glibc memory it keeps for reuse: give them back, so model reloads do not
  // add up (bench/reload-cycles.ts: +28 % RSS over 20 reloads without this).
  fullCollection()
}
