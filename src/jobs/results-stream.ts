import { isFinished } from './job'
import type { JobNotifier } from './notifier'
import type { JobStore } from './store'

/** Result rows read from the store at a time. */
const PAGE_ROWS = 512

/**
 * A job's results as NDJSON, one line per image in submission order, from image `from` on. While the job runs
 * the stream stops at the first image still waiting and goes on as results come; once the job is finished it
 * holds every result there is (a cancelled job's images that never ran have no line) and ends.
 */
export function resultsStream(store: JobStore, notifier: JobNotifier, id: string, from: number): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  const gone = new AbortController()
  let next = from
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        // The job first, then its rows: a job seen finished has every result it will ever have in the rows read after.
        const job = await store.get(id)
        if (!job || gone.signal.aborted) return controller.close() // expired while read
        const finished = isFinished(job.status)
        const rows = await store.results(id, next, PAGE_ROWS)
        const lines: string[] = []
        for (const row of rows) {
          if (row.line === null && !finished) break
          if (row.line !== null) lines.push(row.line)
          next = row.index + 1
        }
        if (lines.length > 0) return controller.enqueue(encoder.encode(`${lines.join('\n')}\n`))
        if (next >= job.total || (finished && rows.length === 0)) return controller.close()
        if (!finished) await notifier.changed(id, gone.signal)
      }
    },
    cancel() {
      gone.abort()
    }
  })
}
