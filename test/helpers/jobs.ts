import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

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

/** A ustar header for a regular file (the fields a reader checks: name, mode, size, checksum, type, magic). */
function tarHeader(name: string, size: number): Uint8Array {
  const header = new Uint8Array(512)
  const put = (text: string, at: number) => header.set(new TextEncoder().encode(text), at)
  put(name, 0)
  put('0000644\0', 100)
  put('0000000\0', 108)
  put('0000000\0', 116)
  put(`${size.toString(8).padStart(11, '0')}\0`, 124)
  put('00000000000\0', 136)
  put('        ', 148)
  put('0', 156)
  put('ustar\0', 257)
  put('00', 263)
  const sum = header.reduce((total, byte) => total + byte, 0)
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
  return header
}

/**
 * A tar archive of `count` copies of `bytes`, made as it is read: a body of any size that the test never holds
 * in memory (a client streaming a large archive).
 */
export function tarStream(bytes: Uint8Array, count: number): ReadableStream<Uint8Array> {
  const padding = new Uint8Array((512 - (bytes.length % 512)) % 512)
  let i = 0
  return new ReadableStream({
    pull(controller) {
      if (i === count) {
        controller.enqueue(new Uint8Array(1024)) // end-of-archive blocks
        return controller.close()
      }
      controller.enqueue(tarHeader(`photo-${i++}.png`, bytes.length))
      controller.enqueue(bytes)
      controller.enqueue(padding)
    }
  })
}
