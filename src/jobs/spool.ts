import { open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError } from '../errors'
import { TIMED_OUT, within } from '../within'

/** Where job `id`'s upload is spooled in `dir`. */
export const spoolPath = (dir: string, id: string) => join(dir, `${id}.upload`)

/**
 * Writes a request body to `path` as it arrives, chunk by chunk, so an upload of any size costs a chunk of
 * memory: refused (and the file removed) beyond `maxBytes` (413 job_too_large) or when no byte arrives for
 * `stallMs` (408 body_timeout). Synced to disk before it returns: a job is accepted only once its images are durable.
 */
export async function spoolBody(body: ReadableStream<Uint8Array>, path: string, maxBytes: number, stallMs: number): Promise<number> {
  const sink = Bun.file(path).writer({ highWaterMark: 1 << 20 })
  const reader = body.getReader()
  let bytes = 0
  let complete = false
  try {
    for (;;) {
      const read = await within(reader.read(), stallMs)
      if (read === TIMED_OUT)
        throw new AppError('body_timeout', `no byte of the upload arrived for ${stallMs} ms`, { headers: { connection: 'close' } })
      if (read.done) break
      bytes += read.value.byteLength
      if (bytes > maxBytes) throw new AppError('job_too_large', `the upload is over ${maxBytes} bytes (BUN_INFER_JOB_MAX_BYTES)`)
      sink.write(read.value)
      await sink.flush()
    }
    complete = true
    return bytes
  } finally {
    await sink.end()
    if (complete) {
      const handle = await open(path, 'r')
      await handle.sync()
      await handle.close()
    } else {
      await reader.cancel().catch(() => {})
      await rm(path, { force: true })
    }
  }
}
