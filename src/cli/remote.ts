import { statSync } from 'node:fs'
import type { TarEntry } from '../jobs/tar-writer'
import { tarStream } from '../jobs/tar-writer'
import { formatOutcome, type Outcome } from './output'
import type { ProgressBar } from './progress'
import type { ClassifySummary } from './run'

export interface RemoteRun {
  /** The server's base URL, e.g. http://localhost:8080. */
  server: string
  apiKey?: string
  model: string
  topK: number
  format: 'jsonl' | 'csv'
  write: (text: string) => void
  progress?: ProgressBar
  /** Aborting it (Ctrl-C) cancels the job on the server. */
  signal?: AbortSignal
}

/** Files that can be read, as archive entries, and the outcome of each that cannot. */
function entriesOf(files: readonly string[]): { entries: TarEntry[]; unreadable: Outcome[] } {
  const entries: TarEntry[] = []
  const unreadable: Outcome[] = []
  for (const file of files) {
    try {
      const size = statSync(file).size
      entries.push({ name: file, size, bytes: () => Bun.file(file).bytes() })
    } catch (error) {
      unreadable.push({ file, error: { code: 'unreadable_file', message: (error as Error).message } })
    }
  }
  return { entries, unreadable }
}

async function failure(response: Response): Promise<Error> {
  const text = await response.text()
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string } }
    return new Error(`the server refused the job: ${response.status} ${error.code}: ${error.message}`)
  } catch {
    return new Error(`the server refused the job: ${response.status} ${text.slice(0, 200)}`)
  }
}

/**
 * Classifies `files` on a server as one bulk job: the files go up as a tar made as it is sent (one file in memory
 * at a time), then the results stream back in order, each written as it comes and counted on the progress bar.
 */
export async function classifyOnServer(files: readonly string[], run: RemoteRun): Promise<ClassifySummary> {
  const started = performance.now()
  const { entries, unreadable } = entriesOf(files)
  const headers: Record<string, string> = { 'content-type': 'application/x-tar' }
  if (run.apiKey) headers.authorization = `Bearer ${run.apiKey}`
  const query = new URLSearchParams({ top_k: String(run.topK), ...(run.model && { model: run.model }) })
  const failures: Record<string, number> = {}
  let done = 0
  let failed = 0
  const record = (outcome: Outcome) => {
    if ('error' in outcome) {
      failed++
      failures[outcome.error.code] = (failures[outcome.error.code] ?? 0) + 1
    }
    run.write(formatOutcome(outcome, run.format))
    run.progress?.update(++done, failed)
  }
  unreadable.forEach(record)
  if (entries.length > 0) {
    const submitted = await fetch(`${run.server}/v1/jobs?${query}`, {
      method: 'POST',
      headers,
      body: tarStream(entries),
      duplex: 'half'
    } as RequestInit)
    if (submitted.status !== 202) throw await failure(submitted)
    const job = (await submitted.json()) as { id: string; model: string; model_version: string }
    const cancel = () => void fetch(`${run.server}/v1/jobs/${job.id}`, { method: 'DELETE', headers }).catch(() => {})
    run.signal?.addEventListener('abort', cancel, { once: true })
    try {
      const results = await fetch(`${run.server}/v1/jobs/${job.id}/results`, { headers, signal: run.signal })
      if (!results.ok || !results.body) throw await failure(results)
      let partial = ''
      const decoder = new TextDecoder()
      for await (const chunk of results.body) {
        const lines = (partial + decoder.decode(chunk, { stream: true })).split('\n')
        partial = lines.pop() ?? ''
        for (const line of lines.filter((l) => l !== '')) {
          const result = JSON.parse(line) as { name: string; predictions?: Outcome & object; error?: { code: string; message: string } }
          record(
            result.error
              ? { file: result.name, error: result.error }
              : { file: result.name, model: job.model, model_version: job.model_version, predictions: result.predictions as never }
          )
        }
      }
    } finally {
      run.signal?.removeEventListener('abort', cancel)
    }
  }
  const seconds = (performance.now() - started) / 1000
  return { images: files.length, failed, seconds, imagesPerSecond: seconds > 0 ? files.length / seconds : 0, failures }
}
