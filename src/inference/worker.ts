/// <reference lib="webworker" />
/**
 * One inference worker: owns an onnxruntime session per model and runs one batch at a time.
 * `session.run` blocks its thread for the whole run, which is why it lives here and not on the HTTP thread.
 */
import type { ExecutionProvider } from './providers'
import * as ort from 'onnxruntime-node'
import { imageShape, TensorBuilder } from '../preprocessing/layout'
import { checkInterface } from './interface-check'
import { IDENTITY_MODEL } from './runtime-warmup'
import { nativeHeapBytes } from '../memory/native-heap'
import { fullCollection } from '../memory/reclaimer'
import type { FromWorker, LoadedMemory, SessionThreads, ToWorker, WorkerModel } from './protocol'
import { workerSessionOptions } from './session-options'

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

/** One of the worker's sessions for `model` (options: session-options.ts); a file that is not ONNX says so. */
async function createSession(
  model: WorkerModel,
  intraOpThreads: number,
  spinning: boolean,
  stopAfterRun = false,
  provider: ExecutionProvider = 'cpu'
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(model.modelPath, workerSessionOptions(intraOpThreads, spinning, stopAfterRun, provider))
  } catch (error) {
    throw new Error(`${model.modelPath}: cannot load as ONNX (${(error as Error).message.split('\n')[0]})`)
  }
}

/**
 * Creates each model's sessions and runs one image through each, so the first request does not pay for the first
 * run's set-up, and measures the memory each model's load adds (see loadMemory). The pool loads one worker at a
 * time, so the process-wide growth during a model's load is that model's. (A warm-up at the largest batch would
 * measure the activation arena too, but would grow it, and the idle RSS, for models that never see a batch.)
 */
async function load(models: WorkerModel[], threads: SessionThreads): Promise<LoadedMemory[]> {
  runtime ??= warmUpRuntime()
  await runtime
  const memory: LoadedMemory[] = []
  for (const model of models) {
    // This worker's garbage first, so no finalizer frees native memory in the middle of the measurement; with the RSS
    // fallback, freed pages must also go back to the OS first, or the load reuses them and measures as less.
    fullCollection()
    const before = loadMemory()
    const session = await createSession(model, threads.intraOpThreads, threads.spinning, false, threads.executionProvider)
    checkInterface(session, model)
    const lone =
      threads.loneIntraOpThreads > 0
        ? await createSession(model, threads.loneIntraOpThreads, threads.loneSpinning, threads.loneSpinning, threads.executionProvider)
        : undefined
    const entry: Loaded = { session, lone, threads, model, tensors: new TensorBuilder(model.input) }
    await warmUp(entry, session)
    if (lone) await warmUp(entry, lone)
    sessions.set(model.key, entry)
    memory.push({ key: model.key, bytes: Math.max(0, loadMemory() - before) })
  }
  return memory
}

/**
 * What a load is measured with: glibc's heap in use, where onnxruntime allocates sessions, weights and arenas; the
 * JavaScript heaps are elsewhere, so a collection on another thread cannot shrink a load, as it shrinks the RSS
 * growth. Without glibc (macOS), the process RSS.
 */
const loadMemory = (): number => nativeHeapBytes() ?? process.memoryUsage.rss()

/** onnxruntime's one-off set-up, done before any model's memory is measured (see runtime-warmup.ts). */
let runtime: Promise<void> | undefined
async function warmUpRuntime(): Promise<void> {
  const session = await ort.InferenceSession.create(IDENTITY_MODEL, { intraOpNumThreads: 1, interOpNumThreads: 1 })
  await session.run({ x: new ort.Tensor('float32', new Float32Array(1), [1]) })
  await session.release()
}

async function warmUp({ model, tensors }: Loaded, session: ort.InferenceSession): Promise<void> {
  const rgb = new Uint8Array(model.input.height * model.input.width * 3)
  await session.run({ [model.inputName]: tensorOf(tensors.build(rgb), 1, model) }, [model.outputName])
}

function tensorOf(data: Float32Array | Uint8Array, batchSize: number, model: WorkerModel): ort.Tensor {
  const shape = [batchSize, ...imageShape(model.input)]
  return data instanceof Float32Array ? new ort.Tensor('float32', data, shape) : new ort.Tensor('uint8', data, shape)
}

async function run(message: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const entry = loaded(message.model)
  // Test-only fault hooks, refused unless enabled in config: die, or spin forever like a wedged kernel.
  if (message.fault === 'crash') process.exit(70)
  if (message.fault === 'hang') for (;;);
  const useLone = message.lone === true && entry.lone !== undefined
  // A float tensor arrives already in the graph's layout (the /v2 tensor input); RGB bytes are converted here.
  const started = performance.now()
  const data = message.input instanceof Float32Array ? message.input : entry.tensors.build(message.input)
  await infer(entry, data, message.batchSize, useLone, message.jobId, started)
}

function loaded(key: string): Loaded {
  const entry = sessions.get(key)
  if (!entry) throw new Error(`worker has no session for model ${key}`)
  return entry
}

async function infer(
  entry: Loaded,
  data: Float32Array | Uint8Array,
  batchSize: number,
  useLone: boolean,
  jobId: number,
  started: number
): Promise<void> {
  const { model } = entry
  const session = useLone ? entry.lone! : entry.session
  const results = await session.run({ [model.inputName]: tensorOf(data, batchSize, model) }, [model.outputName])
  const scores = results[model.outputName]!.data as Float32Array
  if (scores.length !== batchSize * model.classes)
    throw new Error(`output "${model.outputName}" has ${scores.length} values, expected ${batchSize}×${model.classes}`)
  // Copy out of onnxruntime's buffer (it may be a view into native memory) so it can be transferred.
  const output = scores.slice()
  const intraOpThreads = useLone ? entry.threads.loneIntraOpThreads : entry.threads.intraOpThreads
  const inferenceMs = performance.now() - started
  reply({ type: 'result', jobId, output, inferenceMs, intraOpThreads }, [output.buffer])
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data
  if (message.type === 'load')
    load(message.models, message.threads).then(
      (memory) => reply({ type: 'ready', memory }),
      (error: Error) => reply({ type: 'load-failed', message: error.message })
    )
  else if (message.type === 'run')
    run(message).catch((error: Error) => reply({ type: 'run-failed', jobId: message.jobId, message: error.message }))
  else if (message.type === 'add-models')
    load(message.models, message.threads).then(
      (memory) => reply({ type: 'models-added', memory }),
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
  // add up (bench/reload-cycles.ts shows RSS growing with each reload without this).
  fullCollection()
}
