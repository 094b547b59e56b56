/** Messages between the pool (HTTP thread) and an inference worker. Tensors travel as transferred buffers. */

export interface WorkerModel {
  /** `name:version`. */
  key: string
  /** Applied by the worker to RGB bytes: (x / scale − mean) / std per channel. */
  normalise: { scale: number; mean: [number, number, number]; std: [number, number, number] }
  modelPath: string
  inputName: string
  outputName: string
  /** [channels, height, width] of one image. */
  imageDims: [number, number, number]
  classes: number
}

/** Test-only faults (refused unless BUN_INFER_ENABLE_FAULT_INJECTION): the worker exits, or never answers. */
export type WorkerFault = 'crash' | 'hang'

export type ToWorker =
  | { type: 'load'; models: WorkerModel[]; intraOpThreads: number }
  /** input: batchSize images of RGB bytes (HWC), or an already normalised float tensor (NCHW). */
  | { type: 'run'; jobId: number; model: string; batchSize: number; input: Uint8Array | Float32Array; fault?: WorkerFault }

export type FromWorker =
  | { type: 'ready' }
  | { type: 'load-failed'; message: string }
  | { type: 'result'; jobId: number; output: Float32Array; inferenceMs: number }
  | { type: 'run-failed'; jobId: number; message: string }
