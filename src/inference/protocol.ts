/** Messages between the pool (HTTP thread) and an inference worker. Tensors travel as transferred buffers. */

export interface WorkerModel {
  /** `name:version`. */
  key: string
  modelPath: string
  inputName: string
  outputName: string
  /** [channels, height, width] of one image. */
  imageDims: [number, number, number]
  classes: number
}

export type ToWorker =
  | { type: 'load'; models: WorkerModel[]; intraOpThreads: number }
  | { type: 'run'; jobId: number; model: string; batchSize: number; input: Float32Array; fault?: 'crash' }

export type FromWorker =
  | { type: 'ready' }
  | { type: 'load-failed'; message: string }
  | { type: 'result'; jobId: number; output: Float32Array; inferenceMs: number }
  | { type: 'run-failed'; jobId: number; message: string }
