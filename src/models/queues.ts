import type { Batcher, ModelQueueConfig } from '../batching/batcher'
import type { ModelSpec } from './catalog'

/**
 * The batcher queues of a model version: its image queue (8-bit RGB crops) under `name:version`, and for a
 * float32 model the queue of /v2 tensor inputs, already normalised floats in the graph's layout, which cannot
 * share a batch buffer with queued RGB bytes. (A uint8 model's tensor input is turned back into RGB bytes and
 * shares the image queue, and so its batches.)
 */
export const tensorQueueKey = (spec: Pick<ModelSpec, 'key'>) => `${spec.key}#tensor`

/** Whether a model version takes its /v2 tensor input through a float tensor queue. */
export const hasTensorQueue = (spec: ModelSpec) => spec.manifest.input.datatype === 'float32'

/** Metric labels of a queue key: `name:version`, or `name:version#tensor` (model names hold no ":" or "#"). */
export function labelsOfQueue(key: string): { model: string; version: string } {
  const [model = key, version = ''] = key.replace(/#tensor$/, '').split(':')
  return { model, version }
}

/** How a model version's images are batched, from its manifest (and the config's caps). */
function queueConfig(spec: ModelSpec): ModelQueueConfig {
  return {
    maxBatchSize: spec.maxBatchSize,
    maxBatchDelayMs: spec.maxBatchDelayMs,
    inputElements: spec.inputElements,
    outputElements: spec.manifest.output.classes
  }
}

/** Adds every queue of these model versions (at startup, or when the repository extension loads them). */
export function addModelQueues(batcher: Batcher, specs: readonly ModelSpec[]): void {
  for (const spec of specs) {
    batcher.addModel(spec.key, queueConfig(spec))
    if (hasTensorQueue(spec)) batcher.addModel(tensorQueueKey(spec), { ...queueConfig(spec), floatTensorsFor: spec.key })
  }
}

/** The keys of every queue of these model versions. */
export const modelQueueKeys = (specs: readonly ModelSpec[]) =>
  specs.flatMap((spec) => (hasTensorQueue(spec) ? [spec.key, tensorQueueKey(spec)] : [spec.key]))
