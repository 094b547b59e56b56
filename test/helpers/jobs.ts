import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Job, JobImage } from '../../src/jobs/job'
import { tarStream as writeTar, type TarEntry } from '../../src/jobs/tar-writer'

export interface JobFile {
  name: string
  bytes: Uint8Array
}

/** multipart/form-data for POST /v1/jobs: one `images` field per file, then the fields. */
export function jobForm(files: readonly JobFile[], fields: Record<string, string> = {}): FormData {
  const form = new FormData()
  for (const { name, bytes } of files) form.append('images', new Blob([bytes as unknown as BlobPart]), name)
  for (const [key, value] of Object.entries(fields)) form.append(key, value)
  return form
}

/** A tar archive of the files, made by the system's tar (GNU tar on Debian), in the order given. */
export function tarOf(files: readonly JobFile[]): Uint8Array<ArrayBuffer> {
  const dir = mkdtempSync(join(tmpdir(), 'bun-infer-tar-'))
  try {
    for (const { name, bytes } of files) writeFileSync(join(dir, name), bytes)
    const made = Bun.spawnSync(['tar', '-cf', '-', '-C', dir, ...files.map((f) => f.name)])
    if (made.exitCode !== 0) throw new Error(`tar failed: ${made.stderr.toString()}`)
    return Uint8Array.from(made.stdout)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export interface JobResultLine {
  index: number
  name: string
  predictions?: Array<{ label: string; class_index: number; score: number }>
  error?: { code: string; message: string }
}

/** The lines of an NDJSON results body (read to its end: a finished job's stream ends). */
export async function resultLines(response: Response): Promise<JobResultLine[]> {
  const text = await response.text()
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JobResultLine)
}

/**
 * A tar archive of `count` copies of `bytes`, made as it is read: a body of any size that the test never holds
 * in memory (a client streaming a large archive).
 */
export function tarStream(bytes: Uint8Array, count: number): ReadableStream<Uint8Array> {
  function* copies(): Generator<TarEntry> {
    for (let i = 0; i < count; i++) yield { name: `photo-${i}.png`, size: bytes.length, bytes: async () => bytes }
  }
  return writeTar(copies())
}

/** Job images a server answered (ok and failed), from its /metrics. */
export async function jobImagesAnswered(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text()
  return [...text.matchAll(/^bun_infer_job_images_total\{outcome="\w+"\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0)
}

/**
 * A queued job of `count` one-byte images (image i at offset i of its spool file), as the job service stores one;
 * for the engine and runner tests, which classify nothing real.
 */
export function queuedJob(id: string, count: number, createdMs = Date.now()): { job: Job; images: JobImage[] } {
  const job: Job = {
    id,
    status: 'queued',
    model: 'm',
    version: '1',
    topK: 1,
    total: count,
    done: 0,
    failed: 0,
    client: 'ip:test',
    createdMs,
    startedMs: null,
    finishedMs: null,
    expiresMs: null,
    error: null
  }
  const images = Array.from({ length: count }, (_, index) => ({ index, name: `${index}.jpg`, offset: index, length: 1 }))
  return { job, images }
}
