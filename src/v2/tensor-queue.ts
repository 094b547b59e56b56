import type { Batcher } from '../batching/batcher'
import type { ModelSpec } from '../models/registry'

/**
 * The queue of /v2 tensor inputs for a float32 model version: already normalised floats in the graph's
 * layout, which cannot share a batch buffer with queued RGB bytes. (A uint8 model's tensor input is
 * turned back into RGB bytes and shares the image queue, and so its batches.)
 */
export const tensorQueueKey = (spec: Pick<ModelSpec, 'key'>) => `${spec.key}#tensor`

/** Whether a model version takes its /v2 tensor input through a float tensor queue. */
export const hasTensorQueue = (spec: ModelSpec) => spec.manifest.input.datatype === 'float32'

/** Adds the float tensor queue of every float32 model version, batched like its image queue. */
export function addTensorQueues(batcher: Batcher, specs: readonly ModelSpec[]): void {
  for (const spec of specs.filter(hasTensorQueue))
    batcher.addModel(tensorQueueKey(spec), {
      maxBatchSize: spec.maxBatchSize,
      maxBatchDelayMs: spec.maxBatchDelayMs,
      inputElements: spec.inputElements,
      outputElements: spec.manifest.output.classes,
      floatTensorsFor: spec.key
    })
}
