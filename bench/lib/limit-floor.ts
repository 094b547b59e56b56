/**
 * The single-image floor: one image at a time through the server's own path (decode → preprocess → batcher →
 * worker → top-5), on a one-worker pool under every thread setting that matters for a lone image — intra-op
 * threads 1 and all cores, onnxruntime's spinning on and off. The best p50 is what a lone request can hope for.
 */
import { availableParallelism } from 'node:os'
import { toWorkerModel, WorkerPool } from '../../src/inference/pool'
import type { ModelSpec } from '../../src/models/catalog'
import type { Preprocessor } from '../../src/preprocessing/preprocess'
import { runCell } from './limit-cell'
import type { FloorPoint, LimitFloor } from './types'

/** Rounds over the settings (default): on a shared machine a neighbour's burst then lands on every setting, not on one. */
const ROUNDS = 3
const SETTLE_MS = 300

export interface FloorSetting {
  intraOpThreads: number
  spinning: boolean
}

/** Every setting that matters for a lone image: intra-op threads 1 and all cores, spinning on and off. */
export function floorSettings(cores = availableParallelism()): FloorSetting[] {
  return [...new Set([1, cores])].flatMap((intraOpThreads) => [true, false].map((spinning) => ({ intraOpThreads, spinning })))
}

/** `2:spin`, `1:nospin` (the limit's --floor-setting) → the setting; throws on anything else. */
export function parseFloorSetting(text: string): FloorSetting {
  const match = /^([1-9][0-9]*):(spin|nospin)$/.exec(text)
  if (!match) throw new Error(`--floor-setting: "${text}" is not THREADS:spin or THREADS:nospin`)
  return { intraOpThreads: Number(match[1]), spinning: match[2] === 'spin' }
}

export const formatFloorSetting = (s: FloorSetting) => `${s.intraOpThreads}:${s.spinning ? 'spin' : 'nospin'}`

/**
 * Per setting, the round with the lowest p50; the best of those is the floor. `only` measures one setting (the paired
 * rounds: the setting the limit chose, so a round's floor is not the luckiest of four windows), each turn a whole
 * grid cell long instead of a third.
 */
export async function measureFloor(
  model: ModelSpec,
  preprocessor: Preprocessor,
  jpeg: Uint8Array,
  timing: { durationS: number; warmupS: number; rounds?: number },
  log: (line: string) => void,
  only?: FloorSetting
): Promise<LimitFloor> {
  const settings = only ? [only] : floorSettings()
  // Idle pools cost nothing (a spinning thread stops spinning soon after its run), so all wait side by side.
  const pools = settings.map((setting) => new WorkerPool({ size: 1, ...setting, models: [toWorkerModel(model)] }))
  const best: (FloorPoint | undefined)[] = settings.map(() => undefined)
  const rounds = timing.rounds ?? ROUNDS
  // A setting's turn in one round lasts a third of a grid cell however many rounds there are; one setting alone, a whole cell.
  const turnS = only ? timing.durationS : timing.durationS / ROUNDS
  const cell = { batchSize: 1, concurrency: 1, durationS: turnS, warmupS: Math.min(timing.warmupS, 0.3) }
  try {
    await Promise.all(pools.map((pool) => pool.start()))
    for (let round = 0; round < rounds; round++)
      for (const [i, setting] of settings.entries()) {
        // A spinning pool's threads keep spinning a while after its last run: let them stop before the next
        // setting, or it is measured on a core they still hold (its p50 would depend on which setting ran before).
        await Bun.sleep(SETTLE_MS)
        const point = { ...setting, ...(await runCell(pools[i]!, model, preprocessor, jpeg, cell)) }
        if (!best[i] || point.latencyMs.p50 < best[i]!.latencyMs.p50) best[i] = point
      }
  } finally {
    await Promise.all(pools.map((pool) => pool.close()))
  }
  const points = best as FloorPoint[]
  for (const p of points)
    log(
      `floor: 1 worker × ${p.intraOpThreads} intra-op threads, spinning ${p.spinning ? 'on' : 'off'}: p50 ${p.latencyMs.p50} ms, ${p.cpuMsPerImage} CPU ms/img`
    )
  return { best: points.reduce((a, b) => (b.latencyMs.p50 < a.latencyMs.p50 ? b : a)), points }
}
