import type { WorkerModel } from './protocol'

/**
 * Adds each model to `instances` of the workers (every worker when unset or more than the pool), the workers
 * holding fewest models first (then the lowest index), so rarely used models spread instead of piling up.
 * `placement[i]` is the set of model keys worker i holds.
 */
export function placeModels(placement: Array<Set<string>>, models: ReadonlyArray<Pick<WorkerModel, 'key' | 'instances'>>): void {
  for (const model of models) {
    const count = Math.min(model.instances ?? placement.length, placement.length)
    const order = placement.map((keys, index) => ({ keys, index })).sort((a, b) => a.keys.size - b.keys.size || a.index - b.index)
    for (const { keys } of order.slice(0, count)) keys.add(model.key)
  }
}
