import { AppError } from '../errors'
import type { Predictor } from '../predictor'
import { formatOutcome, type Outcome } from './output'
import type { ProgressBar } from './progress'

export interface ClassifySummary {
  images: number
  failed: number
  seconds: number
  imagesPerSecond: number
  /** Failures by stable error code (the API's codes, plus unreadable_file). */
  failures: Record<string, number>
}

export interface ClassifyRun {
  predictor: Predictor
  model: string
  topK: number
  format: 'jsonl' | 'csv'
  concurrency: number
  write: (text: string) => void
  progress?: ProgressBar
}

/** One photo → its outcome; never throws: every failure becomes an error code. */
async function classifyOne(file: string, run: ClassifyRun): Promise<Outcome> {
  let bytes: Uint8Array
  try {
    bytes = await Bun.file(file).bytes()
  } catch (error) {
    return { file, error: { code: 'unreadable_file', message: (error as Error).message } }
  }
  try {
    const result = await run.predictor.predict(run.model, undefined, [bytes], { topK: run.topK, cache: 'off' })
    return { file, model: result.model, model_version: result.model_version, predictions: result.predictions[0]! }
  } catch (error) {
    if (error instanceof AppError) return { file, error: { code: error.code, message: error.message } }
    return { file, error: { code: 'internal_error', message: String(error) } }
  }
}

/**
 * Classifies `files` with at most `concurrency` in flight (so the batcher can fill batches without the
 * queue overflowing), writing each outcome as it completes.
 */
export async function classifyFiles(files: readonly string[], run: ClassifyRun): Promise<ClassifySummary> {
  const started = performance.now()
  const failures: Record<string, number> = {}
  let next = 0
  let done = 0
  let failed = 0
  const lane = async () => {
    while (next < files.length) {
      const outcome = await classifyOne(files[next++]!, run)
      if ('error' in outcome) {
        failed++
        failures[outcome.error.code] = (failures[outcome.error.code] ?? 0) + 1
      }
      run.write(formatOutcome(outcome, run.format))
      run.progress?.update(++done, failed)
    }
  }
  await Promise.all(Array.from({ length: Math.min(run.concurrency, files.length) }, lane))
  const seconds = (performance.now() - started) / 1000
  return { images: files.length, failed, seconds, imagesPerSecond: seconds > 0 ? files.length / seconds : 0, failures }
}

/** The summary line for stderr. */
export function describeSummary(summary: ClassifySummary): string {
  // Most frequent first, then by name: the same run always prints the same line.
  const reasons = Object.entries(summary.failures)
    .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
    .map(([code, n]) => `${code} ${n}`)
    .join(', ')
  return (
    `${summary.images} images in ${summary.seconds.toFixed(2)} s: ${summary.imagesPerSecond.toFixed(1)} images/s; ` +
    `${summary.failed} failed${reasons ? ` (${reasons})` : ''}`
  )
}
