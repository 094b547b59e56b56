/** Messages between the pool (HTTP thread) and an inference worker. Tensors travel as transferred buffers. */
import type { InputLayout } from '../preprocessing/layout'

export interface WorkerModel {
  /** `name:version`. */
  key: string
  /** What the worker turns queued RGB bytes into: datatype, layout, channel order, size, normalisation. */
  input: InputLayout
  modelPath: string
  inputName: string
  outputName: string
  classes: number
  /** Workers that hold it (see placeModels); undefined: every worker. */
  instances?: number
}

/** Memory a worker's load of one model version added (see its loadMemory): its sessions and a one-image warm-up on each. */
export interface LoadedMemory {
  key: string
  bytes: number
}

import type { ExecutionProvider } from './providers'

/** Test-only faults (refused unless BUN_INFER_ENABLE_FAULT_INJECTION): the worker exits, or never answers. */
export type WorkerFault = 'crash' | 'hang'

/** How a worker's sessions use threads (docs/architecture.md explains the defaults). */
export interface SessionThreads {
  /** onnxruntime intra-op threads of the session every batch runs on by default. */
  intraOpThreads: number
  /** Intra-op threads of a second session, run when a batch starts while no other worker is busy; 0: no second session. */
  loneIntraOpThreads: number
  /** onnxruntime's busy-wait of idle intra-op threads (its default: on); moot with one thread. */
  spinning: boolean
  /** The lone session's busy-wait, within each run only (it stops when the run returns). */
  loneSpinning: boolean
  /** onnxruntime's execution provider of every session (BUN_INFER_EXECUTION_PROVIDER). */
  executionProvider: ExecutionProvider
}

export type ToWorker =
  | { type: 'load'; models: WorkerModel[]; threads: SessionThreads }
  /**
   * input: batchSize images of RGB bytes (HWC), or a float tensor already in the graph's own layout and normalisation.
   * lone: no other worker is busy, so the batch may run on the session with more threads.
   */
  | { type: 'run'; jobId: number; model: string; batchSize: number; input: Uint8Array | Float32Array; lone?: boolean; fault?: WorkerFault }
  /** The repository extension: sessions for more model versions (answered by models-added or models-failed), or fewer. */
  | { type: 'add-models'; models: WorkerModel[]; threads: SessionThreads }
  | { type: 'remove-models'; keys: string[] }

export type FromWorker =
  | { type: 'ready'; memory: LoadedMemory[] }
  | { type: 'load-failed'; message: string }
  | { type: 'result'; jobId: number; output: Float32Array; inferenceMs: number; intraOpThreads: number }
  | { type: 'run-failed'; jobId: number; message: string }
  | { type: 'models-added'; memory: LoadedMemory[] }
  | { type: 'models-failed'; message: string }
