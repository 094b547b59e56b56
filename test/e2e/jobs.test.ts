import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { imageBytes } from '../helpers/requests'
import { jobForm, jobImagesAnswered, resultLines, tarStream, type JobFile } from '../helpers/jobs'
import { peakRssBytes, resetPeakRss, rssBytes } from '../../tools/process/procfs'
import { startServerProcess } from '../helpers/server-process'

// Real servers on real models: a job is accepted, the server is stopped right after the 202, and a new process on
// the same data folder completes it.
const dataDir = mkdtempSync(join(tmpdir(), 'jobs-e2e-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

type JobJson = { id: string; status: string; images: { total: number; done: number; failed: number; pending: number } }

async function files(count: number): Promise<JobFile[]> {
  const photos = [await imageBytes('chelsea.jpg'), await imageBytes('coffee.png'), await imageBytes('rocket.jpg')]
  return Array.from({ length: count }, (_, i) =>
    i === 5 ? { name: 'notes.txt', bytes: new TextEncoder().encode('not an image') } : { name: `photo-${i}.jpg`, bytes: photos[i % 3]! }
  )
}

describe('bulk jobs on a real server', () => {
  test('a job accepted just before SIGTERM completes after the restart, with results in order', async () => {
    const env = { BUN_INFER_DATA_DIR: dataDir }
    const upload = await files(120)
    const first = await startServerProcess(env)
    let job: JobJson
    try {
      const response = await fetch(`${first.url}/v1/jobs`, { method: 'POST', body: jobForm(upload) })
      expect(response.status).toBe(202)
      job = (await response.json()) as JobJson
    } finally {
      expect(await first.stop('SIGTERM')).toBe(0)
    }
    const second = await startServerProcess(env)
    try {
      // The second process found the job unfinished: the stop came before its last image.
      const resumed = second.logs.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'jobs resumed')
      expect(resumed?.pending_images).toBeGreaterThan(0)
      const lines = await resultLines(await fetch(`${second.url}/v1/jobs/${job.id}/results`))
      expect(lines.map((l) => l.name)).toEqual(upload.map((f) => f.name))
      expect(lines[5]!.error!.code).toBe('unsupported_image_format')
      const status = (await (await fetch(`${second.url}/v1/jobs/${job.id}`)).json()) as JobJson
      expect(status.status).toBe('completed')
      expect(status.images).toEqual({ total: 120, done: 119, failed: 1, pending: 0 })
      // The top class of a photo is the same wherever in the job it ran: same bytes, same model, same answer.
      const cats = lines.filter((l) => l.index % 3 === 0 && l.index !== 5).map((l) => l.predictions![0]!.label)
      expect(new Set(cats).size).toBe(1)
      expect(readdirSync(join(dataDir, 'job-spool'))).toEqual([]) // a completed job keeps its results, not its upload
    } finally {
      await second.stop('SIGTERM')
    }
  }, 60_000)
})

describe('a cancelled job on a real server', () => {
  test('stops: no image of it is classified after the cancel, and what it made stays readable', async () => {
    const server = await startServerProcess({ BUN_INFER_DATA_DIR: mkdtempSync(join(dataDir, 'cancel-')) })
    try {
      const upload = await files(300)
      const job = (await (await fetch(`${server.url}/v1/jobs`, { method: 'POST', body: jobForm(upload) })).json()) as JobJson
      // Cancelled once it has begun: a few results made, most of the job still waiting.
      for (let status = job; status.images.done === 0; ) status = (await (await fetch(`${server.url}/v1/jobs/${job.id}`)).json()) as JobJson
      const cancelled = (await (await fetch(`${server.url}/v1/jobs/${job.id}`, { method: 'DELETE' })).json()) as JobJson
      expect(cancelled.status).toBe('cancelled')
      const atCancel = await jobImagesAnswered(server.url)
      // Requests still run (they need the same workers), and no job image is answered after the cancel.
      const form = new FormData()
      form.append('image', new Blob([upload[0]!.bytes as unknown as BlobPart]), 'cat.jpg')
      for (let i = 0; i < 3; i++) expect((await fetch(`${server.url}/v1/predict`, { method: 'POST', body: form })).status).toBe(200)
      expect(await jobImagesAnswered(server.url)).toBe(atCancel)
      const after = (await (await fetch(`${server.url}/v1/jobs/${job.id}`)).json()) as JobJson
      expect(after.images.done + after.images.failed).toBeLessThan(300)
      const lines = await resultLines(await fetch(`${server.url}/v1/jobs/${job.id}/results`))
      expect(lines.length).toBe(after.images.done + after.images.failed)
      expect(lines.map((l) => l.index)).toEqual([...lines.map((l) => l.index)].sort((a, b) => a - b))
    } finally {
      await server.stop('SIGTERM')
    }
  }, 60_000)
})

describe('a large job upload', () => {
  test('a 500 MB tar streamed by a client raises the server’s RSS by less than 50 MB', async () => {
    const server = await startServerProcess({ BUN_INFER_DATA_DIR: mkdtempSync(join(dataDir, 'large-')) })
    try {
      const photo = await imageBytes('chelsea.png')
      const count = Math.ceil(500e6 / photo.length)
      const before = rssBytes(server.pid)!
      expect(resetPeakRss(server.pid)).toBe(true)
      const response = await fetch(`${server.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-tar' },
        body: tarStream(photo, count),
        duplex: 'half'
      } as RequestInit)
      expect(response.status).toBe(202)
      const job = (await response.json()) as JobJson
      expect(job.images.total).toBe(count)
      // Cancelled at once: this is about the upload, not about classifying two thousand photos.
      await fetch(`${server.url}/v1/jobs/${job.id}`, { method: 'DELETE' })
      const grewMb = (peakRssBytes(server.pid)! - before) / 2 ** 20
      console.log(`500 MB tar upload: peak RSS +${grewMb.toFixed(1)} MB`)
      expect(grewMb).toBeLessThan(50)
    } finally {
      await server.stop('SIGTERM')
    }
  }, 120_000)
})
