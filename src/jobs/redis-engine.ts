import { Queue, Worker, type Job as BullJob } from 'bullmq'
import Redis from 'ioredis'
import { rm } from 'node:fs/promises'
import { TIMED_OUT, within } from '../within'
import type { JobEngine, JobWork } from './engine'
import { isFinished, type Job, type JobImage } from './job'
import { RedisJobStore } from './redis-job-store'

/** Images copied from the spool into Redis per round trip, at most (they are also bounded in bytes). */
const COPY_IMAGES = 256
const COPY_BYTES = 8 << 20
/** BullMQ entries added per call. */
const ADD_BULK = 1000
const QUEUE = 'bun-infer-job-images'
/** How long startup waits for the jobs Redis to answer. */
const CONNECT_TIMEOUT_MS = 10_000

/** One image of one job: what a BullMQ entry carries. */
interface ImageTask {
  job: string
  index: number
  name: string
  length: number
}

export interface RedisEngineOptions {
  url: string
  retentionMs: number
  /** Images one process works on at once (the BullMQ worker's concurrency). */
  concurrency: number
  /** How long an image stays claimed by a process that stopped answering before another takes it (BullMQ's lock). */
  stalledMs: number
  /** Key prefix of the store and the queue; replicas of one deployment share it. */
  prefix?: string
}

/**
 * Replicas: jobs and results in Redis (RedisJobStore), the images too (from acceptance until their result, so any
 * replica can classify any image, and a replica that dies loses nothing), and one BullMQ entry per image. Every
 * replica runs a BullMQ worker; an image claimed by a replica that is killed goes back to the queue once its lock
 * expires (`stalledMs`) and another replica classifies it. Results are written once (HSETNX), so an image
 * classified twice counts once.
 */
export class RedisEngine implements JobEngine {
  readonly store: RedisJobStore
  private readonly redis: Redis
  private readonly queue: Queue
  private worker?: Worker
  private workerConnection?: Redis
  private inFlight = 0
  /** Whether the Redis was found not to evict. */
  private checked = false
  /**
   * Jobs with images in flight here, and what aborts them. An entry leaves with its last image: a job finished or
   * cancelled by another replica leaves nothing behind in this one.
   */
  private readonly running = new Map<string, { controller: AbortController; images: number }>()

  constructor(private readonly options: RedisEngineOptions) {
    const prefix = options.prefix ?? 'bun-infer'
    this.redis = new Redis(options.url, { maxRetriesPerRequest: null, lazyConnect: true })
    this.store = new RedisJobStore(this.redis, options.retentionMs, `${prefix}:jobs:`)
    this.queue = new Queue(QUEUE, { connection: this.redis, prefix: `${prefix}:queue` })
  }

  /**
   * Connects and refuses a Redis that may evict keys: an evicted image or result would be a job that never
   * completes, silently. The cache's Redis may run allkeys-lru; this one must not.
   */
  async connect(): Promise<void> {
    if (this.checked) return
    // The queue may have started connecting already; commands wait for the connection either way.
    if (this.redis.status === 'wait') await this.redis.connect()
    let reply: string[] | typeof TIMED_OUT
    try {
      reply = await within(this.redis.config('GET', 'maxmemory-policy') as Promise<string[]>, CONNECT_TIMEOUT_MS)
    } catch (error) {
      // CONFIG not allowed (a managed Redis, an ACL): its operator answers for the policy.
      if (/NOPERM|unknown command|ERR/i.test(String(error))) return void (this.checked = true)
      throw error
    }
    if (reply === TIMED_OUT) throw new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)
    const policy = reply[1]
    this.checked = policy === 'noeviction'
    if (!this.checked)
      throw new Error(
        `the jobs Redis has maxmemory-policy ${policy}: it may evict a job's images or results; set it to noeviction (a Redis of its own, not the cache's)`
      )
  }

  async keep(jobId: string, images: readonly JobImage[], spool: string): Promise<void> {
    const file = Bun.file(spool)
    const key = this.store.imagesKey(jobId)
    let batch: Record<string, Buffer> = {}
    let count = 0
    let bytes = 0
    const flush = async () => {
      if (count > 0) await this.redis.hset(key, batch)
      batch = {}
      count = bytes = 0
    }
    for (const image of images) {
      // A Buffer: ioredis would send another typed array as text.
      batch[image.index] = Buffer.from(await file.slice(image.offset, image.offset + image.length).arrayBuffer())
      count++
      bytes += image.length
      if (count >= COPY_IMAGES || bytes >= COPY_BYTES) await flush()
    }
    await flush()
    await rm(spool, { force: true }) // the images are in Redis now, where every replica reads them
  }

  async read(job: Job, image: JobImage): Promise<Uint8Array> {
    const bytes = await this.redis.hgetBuffer(this.store.imagesKey(job.id), String(image.index))
    if (!bytes) throw new Error(`image ${image.index} of job ${job.id} is not in Redis`)
    return bytes
  }

  async drop(jobId: string): Promise<void> {
    await this.redis.unlink(this.store.imagesKey(jobId))
  }

  async start(work: JobWork): Promise<void> {
    await this.connect()
    this.workerConnection = new Redis(this.options.url, { maxRetriesPerRequest: null })
    this.worker = new Worker<ImageTask>(QUEUE, (task) => this.process(task, work), {
      connection: this.workerConnection,
      prefix: this.queue.opts.prefix,
      concurrency: this.options.concurrency,
      lockDuration: this.options.stalledMs,
      stalledInterval: this.options.stalledMs,
      // An image whose replica died is taken again however often that happens: it must get its result.
      maxStalledCount: 1_000
    })
    this.worker.on('error', (error) => work.onError?.(error))
    // Entries a crash may have lost between a job's creation and its queueing, or never added: every image
    // without a result is queued again; BullMQ ignores an id it already holds, and a second result is not kept.
    for (const job of await this.store.unfinished()) await this.enqueue(job, await this.store.pendingImages(job.id, 0, job.total))
  }

  private async process(task: BullJob<ImageTask>, work: JobWork): Promise<void> {
    const { job: jobId, index, name, length } = task.data
    const job = await this.store.get(jobId)
    if (!job || isFinished(job.status)) return // cancelled or expired: nothing to do
    if (await this.store.hasResult(jobId, index)) return // queued again after a crash, but done meanwhile
    if (job.status === 'queued' && (await this.store.transition(jobId, ['queued'], 'running', Date.now()))) job.status = 'running'
    let entry = this.running.get(jobId)
    if (!entry) this.running.set(jobId, (entry = { controller: new AbortController(), images: 0 }))
    const { signal } = entry.controller
    entry.images++
    this.inFlight++
    try {
      const result = await work.classify(job, { index, name, offset: 0, length }, signal)
      if (signal.aborted) return
      const { job: after, written } = await this.store.saveResult(jobId, result)
      if (written) work.onResult?.(job, result)
      if (after && isFinished(after.status)) work.onFinished?.(after)
    } catch (error) {
      if (!signal.aborted) throw error // BullMQ retries it
    } finally {
      this.inFlight--
      if (--entry.images === 0 && this.running.get(jobId) === entry) this.running.delete(jobId)
    }
  }

  async submitted(job: Job, images: readonly JobImage[]): Promise<void> {
    await this.enqueue(job, images)
  }

  private async enqueue(job: Job, images: readonly JobImage[]): Promise<void> {
    for (let i = 0; i < images.length; i += ADD_BULK)
      await this.queue.addBulk(
        images.slice(i, i + ADD_BULK).map((image) => ({
          name: 'image',
          data: { job: job.id, index: image.index, name: image.name, length: image.length },
          opts: { jobId: `${job.id}-${image.index}`, removeOnComplete: true, removeOnFail: true, attempts: 3 }
        }))
      )
  }

  cancel(jobId: string): void {
    this.running.get(jobId)?.controller.abort(new Error('job cancelled'))
    this.running.delete(jobId)
  }

  /** Takes no more images; those in flight finish (BullMQ waits for them). */
  async pause(): Promise<void> {
    await this.worker?.close()
  }

  /** Pauses, then closes every connection. */
  async stop(): Promise<void> {
    await this.pause()
    await this.queue.close()
    this.workerConnection?.disconnect()
    this.redis.disconnect()
  }

  get active(): number {
    return this.inFlight
  }

  /** Jobs with images in flight in this process. */
  get jobsInFlight(): number {
    return this.running.size
  }
}
