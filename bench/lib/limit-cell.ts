/**
 * One cell of the in-process limit: `concurrency` loops push one image each through Preprocessor → Batcher →
 * WorkerPool, as the server does: decoded by sharp, then queued, batched and run on a worker.
 */
import { Batcher } from '../../src/batching/batcher'
import { systemClock } from '../../src/batching/clock'
import type { WorkerPool } from '../../src/inference/pool'
import { softmax, topK } from '../../src/inference/postprocess'
import type { ModelSpec } from '../../src/models/catalog'
import type { Preprocessor } from '../../src/preprocessing/preprocess'
import { round, roundLatency, summarise } from './stats'
import type { LimitPoint } from './types'

export interface CellSpec {
  batchSize: number
  concurrency: number
  durationS: number
  /** Unmeasured lead-in, so the window starts with full queues and warm caches. */
  warmupS: number
}

/** A batcher holding one model's queue, batched as given (the limit's cells). */
export function batcherFor(runner: WorkerPool, model: ModelSpec, batching: { maxBatchSize: number; maxBatchDelayMs: number }): Batcher {
  const batcher = new Batcher(runner, { maxQueueImages: 1 << 20, clock: systemClock })
  batcher.addModel(model.key, {
    ...batching,
    inputElements: model.inputElements,
    outputElements: model.manifest.output.classes
  })
  return batcher
}

/** One image the server's way: decoded here with sharp, then queued and run. */
export async function classifyOne(
  batcher: Batcher,
  model: ModelSpec,
  preprocessor: Preprocessor,
  bytes: Uint8Array
): Promise<{ scores: Float32Array; inferenceMs: number; preprocessMs: number }> {
  const admission = batcher.admit(model.key, 1)
  try {
    const started = performance.now()
    const tensor = await preprocessor.run(bytes)
    const preprocessMs = performance.now() - started
    const [result] = await batcher.submit(model.key, [tensor], { admission })
    return { ...result!, preprocessMs }
  } finally {
    admission.release()
  }
}

/**
 * Runs one cell and measures a window in its middle: images finished inside the window, and the
 * whole process's CPU (every thread: sharp's, the workers', this one) over the same meter.
 */
export async function runCell(
  pool: WorkerPool,
  model: ModelSpec,
  preprocessor: Preprocessor,
  bytes: Uint8Array,
  spec: CellSpec
): Promise<LimitPoint> {
  // A fresh batcher per cell: the batch size is the cell's, the window the model's (as the server).
  const batcher = batcherFor(pool, model, { maxBatchSize: spec.batchSize, maxBatchDelayMs: model.maxBatchDelayMs })
  const logits = model.manifest.output.kind === 'logits'
  const windowStart = performance.now() + spec.warmupS * 1000
  const windowEnd = windowStart + spec.durationS * 1000
  // The window is opened and closed by timers; they record when they actually fired.
  const meter = { cpuStart: process.cpuUsage(), cpuSpent: undefined as NodeJS.CpuUsage | undefined, openedAt: Infinity, closedAt: Infinity }
  let completed = 0
  const latencies: number[] = []
  let preprocessSum = 0
  let inferenceSum = 0

  const classify = () => classifyOne(batcher, model, preprocessor, bytes)

  async function client(): Promise<void> {
    while (performance.now() < windowEnd) {
      const started = performance.now()
      const result = await classify()
      topK(logits ? softmax(result.scores) : result.scores, 5, model.labels)
      const done = performance.now()
      if (done >= meter.openedAt && done <= meter.closedAt) completed++
      if (started >= windowStart && done <= windowEnd) {
        latencies.push(done - started)
        preprocessSum += result.preprocessMs
        inferenceSum += result.inferenceMs
      }
    }
  }
  const timers = [
    setTimeout(() => {
      meter.cpuStart = process.cpuUsage()
      meter.openedAt = performance.now()
    }, windowStart - performance.now()),
    setTimeout(() => {
      meter.cpuSpent = process.cpuUsage(meter.cpuStart)
      meter.closedAt = performance.now()
    }, windowEnd - performance.now())
  ]
  try {
    await Promise.all(Array.from({ length: spec.concurrency }, client))
  } finally {
    timers.forEach(clearTimeout)
  }
  if (meter.cpuSpent === undefined) {
    // Every loop finished its last image before the closing timer ran: close the window here.
    meter.cpuSpent = process.cpuUsage(meter.cpuStart)
    meter.closedAt = performance.now()
  }
  // The rate counts every completion inside the window (in-flight work at its edges included);
  // latencies only those that started and finished inside it.
  const images = completed
  const elapsedS = (meter.closedAt - meter.openedAt) / 1000
  const latency = summarise(latencies)
  const cpuMs = (meter.cpuSpent.user + meter.cpuSpent.system) / 1000
  return {
    batchSize: spec.batchSize,
    concurrency: spec.concurrency,
    images,
    durationS: round(elapsedS),
    imgPerS: round(images / elapsedS),
    cpuMsPerImage: round(cpuMs / Math.max(1, images)),
    latencyMs: roundLatency(latency),
    preprocessMeanMs: round(preprocessSum / Math.max(1, latencies.length)),
    inferenceMeanMs: round(inferenceSum / Math.max(1, latencies.length))
  }
}
