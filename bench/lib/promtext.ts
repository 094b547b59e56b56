/** Reads the server's Prometheus text and turns two scrapes into per-point numbers. */
import type { ServerMetricsDelta } from './types'

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** Parses the text exposition format (comments skipped). */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue
    const match = line.match(LINE)
    if (!match) continue
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key!] = value!
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return samples
}

/** Fetches /metrics; null when the target has none (the naive baseline). */
export async function scrape(url: string): Promise<Sample[] | null> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })
    if (!response.ok) return null
    return parsePrometheus(await response.text())
  } catch {
    return null
  }
}

/** Sum of every sample of `name` whose labels include `where`. */
function total(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  let sum = 0
  for (const s of samples) if (s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)) sum += s.value
  return sum
}

/** Images waiting in the server's queues now (every model). */
export const queueDepth = (samples: Sample[]) => total(samples, 'bun_infer_queue_depth')

const BATCH = 'bun_infer_batch_size'
const STAGE = 'bun_infer_stage_duration_seconds'

/** Batch-size distribution, batch count and mean stage times between two scrapes. */
export function diffMetrics(before: Sample[], after: Sample[]): ServerMetricsDelta {
  const bound = (le: string) => (le === '+Inf' ? Infinity : Number(le))
  const bounds = [...new Set(after.filter((s) => s.name === `${BATCH}_bucket`).map((s) => s.labels.le!))].sort(
    (a, b) => bound(a) - bound(b)
  )
  const delta = (name: string, where: Record<string, string> = {}) => total(after, name, where) - total(before, name, where)
  const batchSizeHistogram: Record<string, number> = {}
  let below = 0
  for (const le of bounds) {
    const cumulative = delta(`${BATCH}_bucket`, { le })
    batchSizeHistogram[le] = cumulative - below
    below = cumulative
  }
  const batches = delta(`${BATCH}_count`)
  const stageMeanMs: Record<string, number> = {}
  for (const stage of ['preprocess', 'queue', 'inference', 'total']) {
    const count = delta(`${STAGE}_count`, { stage })
    if (count > 0) stageMeanMs[stage] = (delta(`${STAGE}_sum`, { stage }) / count) * 1000
  }
  return { batchSizeHistogram, batches, meanBatchSize: batches > 0 ? delta(`${BATCH}_sum`) / batches : 0, stageMeanMs }
}
