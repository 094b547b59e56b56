import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Config } from '../config/schema'
import { AppError } from '../errors'
import { checkTopKFor, parseTopK } from '../top-k'
import type { ModelSpec } from '../models/catalog'
import { isFinished, type Job, type JobResult } from './job'
import { JobNotifier } from './notifier'
import { resultsStream } from './results-stream'
import type { JobEngine } from './engine'
import { spoolBody, spoolPath } from './spool'
import type { JobStore } from './store'
import { checkUploadType, indexUpload, type JobField } from './upload-index'
import { jobImageClassifier, type JobImageClassifierOptions } from './classify-image'

/** How often expired jobs are deleted, ms. */
const SWEEP_MS = 60_000
/** A spool file of no job, untouched this long, is an upload a crash cut short. */
const ORPHAN_UPLOAD_MS = 3_600_000

export type JobSettings = Pick<
  Config,
  'jobMaxBytes' | 'jobMaxImages' | 'jobsPerClient' | 'jobRetentionHours' | 'bodyTimeoutMs' | 'defaultTopK' | 'maxImageBytes'
>

export interface JobServiceOptions {
  engine: JobEngine
  /** Where uploads are spooled, one file per job, while they arrive and are indexed. */
  spoolDir: string
  settings: JobSettings
  /** Model lookup: a job's model and version are fixed when it is accepted (404s as for predict). */
  resolveModel: (name: string, version?: string) => ModelSpec
  defaultModel: string
  predictor: JobImageClassifierOptions['predictor']
  onResult?: (job: Job, result: JobResult) => void
  onError?: (error: unknown) => void
}

/** How long a finished job and its results are kept, ms. */
export const jobRetentionMs = (settings: Pick<Config, 'jobRetentionHours'>) => settings.jobRetentionHours * 3_600_000

/** What a submission names besides its body: who sends it, and the options of its query string. */
export interface Submission {
  client: string
  query: Partial<Record<JobField, string>>
}

/**
 * Bulk jobs: an upload spooled to disk and indexed, stored as a job, worked through in the background by the
 * engine, and read back as status and results. Uploads and results never pass through memory whole.
 */
export class JobService {
  private readonly notifier = new JobNotifier()
  /** Uploads in progress per client: they count toward the client's jobs. */
  private readonly uploading = new Map<string, number>()
  private sweeper: ReturnType<typeof setInterval> | undefined

  constructor(private readonly options: JobServiceOptions) {}

  get store(): JobStore {
    return this.options.engine.store
  }

  /** Images of jobs this process is working on now (reading, decoding, queued or running). */
  get imagesInFlight(): number {
    return this.options.engine.active
  }

  /** Resumes the jobs a stop or crash left, and starts deleting expired ones. Returns what it resumed. */
  async start(): Promise<{ jobs: number; pendingImages: number }> {
    const { engine, settings } = this.options
    await mkdir(this.options.spoolDir, { recursive: true })
    const { byStatus, pendingImages } = await this.store.counts()
    const classify = jobImageClassifier({
      predictor: this.options.predictor,
      read: (job, image) => engine.read(job, image),
      maxImageBytes: settings.maxImageBytes,
      onBug: this.options.onError
    })
    await engine.start({
      classify,
      onResult: (job, result) => {
        this.options.onResult?.(job, result)
        this.notifier.notify(job.id)
      },
      onError: this.options.onError
    })
    this.sweeper = setInterval(() => void this.sweep().catch((error) => this.options.onError?.(error)), SWEEP_MS)
    return { jobs: byStatus.queued + byStatus.running, pendingImages }
  }

  /**
   * Works on no more images (a draining server gives its cores to the requests it admitted); those in flight are
   * finished or classified again after the restart. Uploads and reads are still answered.
   */
  pause(): Promise<void> {
    return this.options.engine.pause()
  }

  /** Pauses and closes the store. */
  async stop(): Promise<void> {
    clearInterval(this.sweeper)
    await this.options.engine.stop()
  }

  /**
   * Spools the body, indexes it and stores the job: 202 from the route once this returns, so an accepted job
   * is on disk. Every refusal before that leaves nothing behind.
   */
  async submit(request: Request, { client, query }: Submission): Promise<Job> {
    const { settings } = this.options
    const declared = Number(request.headers.get('content-length') ?? Number.NaN)
    // Refused before a byte is read; the connection lingers so a client still sending reads the answer (linger.ts).
    if (declared > settings.jobMaxBytes)
      throw new AppError('job_too_large', `the upload is over ${settings.jobMaxBytes} bytes (BUN_INFER_JOB_MAX_BYTES)`)
    const contentType = request.headers.get('content-type') ?? ''
    checkUploadType(contentType)
    if (!request.body) throw new AppError('validation_failed', 'the job holds no images')
    // Refused before a byte is read when the query names the model: 404 early, as predict does.
    if (query.model !== undefined) this.options.resolveModel(query.model, query.version)
    const active = (await this.store.activeCount(client)) + (this.uploading.get(client) ?? 0)
    if (active >= settings.jobsPerClient)
      throw new AppError('too_many_jobs', `this client already has ${active} jobs queued or running`, { retryAfterSeconds: 10 })
    this.uploading.set(client, (this.uploading.get(client) ?? 0) + 1)
    const id = crypto.randomUUID()
    const spool = spoolPath(this.options.spoolDir, id)
    let stored = false
    try {
      await spoolBody(request.body, spool, settings.jobMaxBytes, settings.bodyTimeoutMs)
      const upload = await indexUpload(spool, contentType, settings.jobMaxImages)
      if (upload.images.length === 0)
        throw new AppError('validation_failed', 'the job holds no images (form field images, or a tar archive)')
      const asked = { ...upload.fields, ...definedOnly(query) }
      const model = this.options.resolveModel(asked.model ?? this.options.defaultModel, asked.version)
      const job: Job = {
        id,
        status: 'queued',
        model: model.name,
        version: String(model.version),
        topK: topKOf(asked.top_k, settings.defaultTopK, model),
        total: upload.images.length,
        done: 0,
        failed: 0,
        client,
        createdMs: Date.now(),
        startedMs: null,
        finishedMs: null,
        expiresMs: null,
        error: null
      }
      const images = upload.images.map((image, index) => ({ index, ...image }))
      const { engine } = this.options
      await engine.keep(id, images, spool)
      await engine.store.create(job, images)
      stored = true
      await engine.submitted(job, images)
      return job
    } finally {
      const left = (this.uploading.get(client) ?? 1) - 1
      if (left === 0) this.uploading.delete(client)
      else this.uploading.set(client, left)
      if (!stored) {
        await rm(spool, { force: true })
        await this.options.engine.drop(id)
      }
    }
  }

  /** The job, if it exists and this client may see it: a job submitted with an API key is only that key's. */
  async get(id: string, client: string): Promise<Job> {
    const job = await this.store.get(id)
    if (!job || (job.client.startsWith('key:') && job.client !== client)) throw new AppError('job_not_found', `no job ${id}`)
    return job
  }

  /** Cancels a queued or running job; a finished one is left as it is. Results made so far stay readable. */
  async cancel(id: string, client: string): Promise<Job> {
    const job = await this.get(id, client)
    if (isFinished(job.status)) return job
    const now = Date.now()
    if (await this.store.transition(id, ['queued', 'running'], 'cancelled', now, now + jobRetentionMs(this.options.settings))) {
      this.options.engine.cancel(id)
      await this.options.engine.drop(id)
      this.notifier.notify(id)
    }
    return this.get(id, client)
  }

  /** The job's results from image `from` on, as NDJSON (resultsStream). */
  async results(id: string, client: string, from: number): Promise<ReadableStream<Uint8Array>> {
    await this.get(id, client)
    return resultsStream(this.store, this.notifier, id, from)
  }

  /**
   * Deletes the jobs whose retention ended, with their results, and uploads a crash cut short (a spool file of no
   * job, untouched for an hour: an upload in progress is written to every few seconds at least).
   */
  async sweep(now = Date.now()): Promise<number> {
    const expired = await this.store.expired(now)
    for (const id of expired) {
      await this.options.engine.drop(id)
      await this.store.delete(id)
    }
    for (const file of await readdir(this.options.spoolDir)) {
      const path = join(this.options.spoolDir, file)
      const touched = (await stat(path).catch(() => undefined))?.mtimeMs ?? now
      if (touched < now - ORPHAN_UPLOAD_MS && !(await this.store.get(file.replace(/\.upload$/, '')))) await rm(path, { force: true })
    }
    return expired.length
  }
}

const definedOnly = <T extends object>(value: T) =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>

/** The form's or the query's top_k, read as the predict routes read it; unset, the default, capped at the model's labels. */
function topKOf(value: string | undefined, fallback: number, model: ModelSpec): number {
  if (value === undefined) return Math.min(fallback, model.labels.length)
  const topK = parseTopK(value)
  checkTopKFor(topK, model)
  return topK
}
