import { afterEach, describe, expect, test } from 'bun:test'
import type { Config } from '../../src/config/schema'
import type { JobEngine } from '../../src/jobs/engine'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { testApp, type TestApp } from '../helpers/test-app'
import { imageBytes, type ErrorJson } from '../helpers/requests'
import { jobForm, resultLines, tarOf } from '../helpers/jobs'

/**
 * The HTTP contract of bulk jobs, run in process against an engine: test/jobs/api.test.ts runs it on the embedded
 * one, test/jobs/api-redis.test.ts on Redis with BullMQ.
 */
export function jobContract(engineName: string, engine?: (config: Config) => JobEngine) {
  const dirs: string[] = []
  const apps: TestApp[] = []

  async function jobsApp(options: Parameters<typeof testApp>[0] = {}) {
    const dataDir = mkdtempSync(join(tmpdir(), 'bun-infer-jobs-'))
    dirs.push(dataDir)
    const app = testApp({ ...options, jobs: { dataDir, engine } })
    apps.push(app)
    await app.jobs!.start()
    return { ...app, dataDir }
  }

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.jobs?.stop()
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  async function photos() {
    return [
      { name: 'cat.jpg', bytes: await imageBytes('chelsea.jpg') },
      { name: 'notes.txt', bytes: new TextEncoder().encode('not an image') },
      { name: 'coffee.png', bytes: await imageBytes('coffee.png') },
      { name: 'rocket.jpg', bytes: await imageBytes('rocket.jpg') }
    ]
  }

  type JobJson = { id: string; status: string; images: { total: number; done: number; failed: number; pending: number }; top_k: number }

  describe(`bulk jobs over HTTP (in process, ${engineName} engine)`, () => {
    test('a multipart job of photos and an undecodable file completes with results in submission order', async () => {
      const { request } = await jobsApp()
      const files = await photos()
      const submitted = await request('/v1/jobs', { method: 'POST', body: jobForm(files, { top_k: '3' }) })
      expect(submitted.status).toBe(202)
      const job = (await submitted.json()) as JobJson
      expect(submitted.headers.get('location')).toBe(`/v1/jobs/${job.id}`)
      expect(job.images.total).toBe(4)
      expect(job.top_k).toBe(3)

      const lines = await resultLines(await request(`/v1/jobs/${job.id}/results`))
      expect(lines.map((l) => [l.index, l.name])).toEqual(files.map((f, i) => [i, f.name]))
      expect(lines[1]!.error!.code).toBe('unsupported_image_format')
      for (const i of [0, 2, 3]) expect(lines[i]!.predictions!.length).toBe(3)

      const done = (await (await request(`/v1/jobs/${job.id}`)).json()) as JobJson
      expect(done.status).toBe('completed')
      expect(done.images).toEqual({ total: 4, done: 3, failed: 1, pending: 0 })
    })

    test('each image gets the predictions a predict request gets for it', async () => {
      const { request } = await jobsApp()
      const files = await photos()
      const job = (await (await request('/v1/jobs', { method: 'POST', body: jobForm(files) })).json()) as JobJson
      const lines = await resultLines(await request(`/v1/jobs/${job.id}/results`))
      const form = new FormData()
      form.append('image', new Blob([files[0]!.bytes as unknown as BlobPart]), 'cat.jpg')
      const direct = (await (await request('/v1/predict', { method: 'POST', body: form })).json()) as { predictions: unknown[][] }
      expect(lines[0]!.predictions).toEqual(direct.predictions[0] as never)
    })

    test('a bare tar archive is a job, its files in archive order; ?from= resumes the results', async () => {
      const { request } = await jobsApp()
      const files = await photos()
      const response = await request('/v1/jobs?top_k=2&model=shufflenetv2', {
        method: 'POST',
        headers: { 'content-type': 'application/x-tar' },
        body: tarOf(files)
      })
      expect(response.status).toBe(202)
      const job = (await response.json()) as JobJson & { model: string }
      expect(job.model).toBe('shufflenetv2')
      const all = await resultLines(await request(`/v1/jobs/${job.id}/results`))
      expect(all.map((l) => l.name)).toEqual(files.map((f) => f.name))
      const rest = await resultLines(await request(`/v1/jobs/${job.id}/results?from=2`))
      expect(rest).toEqual(all.slice(2))
    })

    test('a tar in the archive field comes after the images fields', async () => {
      const { request } = await jobsApp()
      const files = await photos()
      const form = jobForm(files.slice(0, 1))
      form.append('archive', new Blob([tarOf(files.slice(2)) as unknown as BlobPart]), 'more.tar')
      const job = (await (await request('/v1/jobs', { method: 'POST', body: form })).json()) as JobJson
      const lines = await resultLines(await request(`/v1/jobs/${job.id}/results`))
      expect(lines.map((l) => l.name)).toEqual(['cat.jpg', 'coffee.png', 'rocket.jpg'])
    })

    test('a cancelled job stops: its waiting images never run, and what it made stays readable', async () => {
      const { request, runner, dataDir } = await jobsApp({
        workers: 1,
        env: { BUN_INFER_JOB_BATCH_SIZE: '1', BUN_INFER_JOB_IMAGES_IN_FLIGHT: '2' }
      })
      const cat = await imageBytes('chelsea.jpg')
      const files = Array.from({ length: 12 }, (_, i) => ({ name: `cat-${i}.jpg`, bytes: cat }))
      runner.hold() // the first batch stays running
      const job = (await (await request('/v1/jobs', { method: 'POST', body: jobForm(files) })).json()) as JobJson
      const cancelled = (await (await request(`/v1/jobs/${job.id}`, { method: 'DELETE' })).json()) as JobJson
      expect(cancelled.status).toBe('cancelled')
      runner.release()
      const lines = await resultLines(await request(`/v1/jobs/${job.id}/results`))
      const after = (await (await request(`/v1/jobs/${job.id}`)).json()) as JobJson
      expect(after.status).toBe('cancelled')
      expect(lines.length).toBe(after.images.done)
      expect(after.images.done).toBeLessThan(files.length)
      expect(readdirSync(join(dataDir, 'job-spool'))).toEqual([]) // its upload is gone
    })

    test('refusals: each a clear 4xx with its stable code, and nothing left in the spool', async () => {
      const { request, dataDir } = await jobsApp({ env: { BUN_INFER_JOB_MAX_BYTES: String(1 << 20), BUN_INFER_JOB_MAX_IMAGES: '3' } })
      const files = await photos()
      const cases: Array<[string, () => Promise<Response>, number, string]> = [
        [
          'over the byte limit',
          () => request('/v1/jobs', { method: 'POST', body: jobForm([{ name: 'big', bytes: new Uint8Array(2 << 20) }]) }),
          413,
          'job_too_large'
        ],
        ['over the image limit', () => request('/v1/jobs', { method: 'POST', body: jobForm(files) }), 413, 'too_many_images'],
        ['no images', () => request('/v1/jobs', { method: 'POST', body: jobForm([], { top_k: '2' }) }), 422, 'validation_failed'],
        [
          'an unknown field',
          () => request('/v1/jobs', { method: 'POST', body: jobForm(files.slice(0, 1), { colour: 'red' }) }),
          422,
          'validation_failed'
        ],
        [
          'a bad top_k',
          () => request('/v1/jobs', { method: 'POST', body: jobForm(files.slice(0, 1), { top_k: '0' }) }),
          422,
          'validation_failed'
        ],
        [
          'a top_k that is not digits, read as predict reads it',
          () => request('/v1/jobs?top_k=1e1', { method: 'POST', body: jobForm(files.slice(0, 1)) }),
          422,
          'validation_failed'
        ],
        [
          'an unknown model',
          () => request('/v1/jobs?model=nope', { method: 'POST', body: jobForm(files.slice(0, 1)) }),
          404,
          'model_not_found'
        ],
        [
          'JSON',
          () => request('/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
          415,
          'unsupported_media_type'
        ],
        [
          'a gzipped tar',
          () =>
            request('/v1/jobs', {
              method: 'POST',
              headers: { 'content-type': 'application/x-tar' },
              body: Bun.gzipSync(tarOf(files.slice(0, 1)))
            }),
          415,
          'unsupported_media_type'
        ],
        [
          'a tar that is not one',
          () =>
            request('/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/x-tar' }, body: new Uint8Array(2048).fill(7) }),
          400,
          'malformed_request'
        ],
        [
          'a cut multipart body',
          () =>
            request('/v1/jobs', {
              method: 'POST',
              headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
              body: '--xyz\r\ncontent-disposition: form-data; name="images"\r\n\r\nabc'
            }),
          400,
          'malformed_request'
        ],
        ['no such job', () => request('/v1/jobs/7d0b6a4e-0000-4000-8000-000000000000'), 404, 'job_not_found']
      ]
      for (const [name, pending, status, code] of cases) {
        const response = await pending()
        expect([name, response.status, ((await response.json()) as ErrorJson).error.code]).toEqual([name, status, code])
      }
      expect(readdirSync(join(dataDir, 'job-spool'))).toEqual([])
    })

    test('a client with its jobs in flight is refused another (429 too_many_jobs)', async () => {
      const { request, runner } = await jobsApp({ env: { BUN_INFER_JOBS_PER_CLIENT: '1' } })
      const files = (await photos()).slice(0, 1)
      runner.hold()
      expect((await request('/v1/jobs', { method: 'POST', body: jobForm(files) })).status).toBe(202)
      const refused = await request('/v1/jobs', { method: 'POST', body: jobForm(files) })
      expect(refused.status).toBe(429)
      expect(((await refused.json()) as ErrorJson).error.code).toBe('too_many_jobs')
      runner.release()
    })

    test('with API keys, a job is only its own key’s', async () => {
      const { request } = await jobsApp({ env: { BUN_INFER_API_KEYS: 'key-a-0123456789abcdef,key-b-0123456789abcdef' } })
      const files = (await photos()).slice(0, 1)
      const as = (key: string) => ({ authorization: `Bearer ${key}` })
      const job = (await (
        await request('/v1/jobs', { method: 'POST', headers: as('key-a-0123456789abcdef'), body: jobForm(files) })
      ).json()) as JobJson
      expect((await request(`/v1/jobs/${job.id}`, { headers: as('key-a-0123456789abcdef') })).status).toBe(200)
      expect((await request(`/v1/jobs/${job.id}`, { headers: as('key-b-0123456789abcdef') })).status).toBe(404)
      expect((await request(`/v1/jobs/${job.id}/results`, { headers: as('key-b-0123456789abcdef') })).status).toBe(404)
      expect((await request(`/v1/jobs/${job.id}`, { method: 'DELETE', headers: as('key-b-0123456789abcdef') })).status).toBe(404)
      expect((await request(`/v1/jobs/${job.id}`)).status).toBe(401)
    })

    test('a finished job is deleted with its results once its retention is over, not before', async () => {
      const { request, jobs } = await jobsApp()
      const job = (await (await request('/v1/jobs', { method: 'POST', body: jobForm((await photos()).slice(0, 2)) })).json()) as JobJson
      await resultLines(await request(`/v1/jobs/${job.id}/results`))
      const finished = (await (await request(`/v1/jobs/${job.id}`)).json()) as { expires_at: string }
      const expiresMs = Date.parse(finished.expires_at)
      expect(await jobs!.sweep(expiresMs - 1000)).toBe(0)
      expect((await request(`/v1/jobs/${job.id}`)).status).toBe(200)
      expect(await jobs!.sweep(expiresMs + 1)).toBe(1)
      expect((await request(`/v1/jobs/${job.id}`)).status).toBe(404)
      expect((await request(`/v1/jobs/${job.id}/results`)).status).toBe(404)
    })

    test('an upload a crash cut short (a spool file of no job) is deleted after an hour untouched', async () => {
      const { jobs, dataDir } = await jobsApp()
      const spool = join(dataDir, 'job-spool')
      writeFileSync(join(spool, '0b7d9f6e-0000-4000-8000-000000000000.upload'), 'half an upload')
      await jobs!.sweep(Date.now() + 30 * 60_000)
      expect(readdirSync(spool)).toHaveLength(1)
      await jobs!.sweep(Date.now() + 61 * 60_000)
      expect(readdirSync(spool)).toEqual([])
    })

    test('jobs by status, images and queue age are on /metrics', async () => {
      const { request } = await jobsApp()
      const job = (await (await request('/v1/jobs', { method: 'POST', body: jobForm(await photos()) })).json()) as JobJson
      await resultLines(await request(`/v1/jobs/${job.id}/results`))
      const text = await (await request('/metrics')).text()
      expect(text).toContain('bun_infer_jobs{status="completed"} 1')
      expect(text).toContain('bun_infer_job_images_total{outcome="ok"} 3')
      expect(text).toContain('bun_infer_job_images_total{outcome="failed"} 1')
      expect(text).toContain('bun_infer_job_images_pending 0')
    })
  })
}
