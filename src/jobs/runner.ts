import { isFinished, type Job, type JobImage, type JobResult } from './job'
import type { JobStore } from './store'

/** Images of the current job read from the store at a time. */
const PAGE_IMAGES = 256

export interface JobRunnerOptions {
  /** Job images classified at once (read, decoding, queued or running): enough to keep every worker fed. */
  maxInFlight: number
  /** How long a finished job stays, ms (one whose upload is gone fails, and expires like any other). */
  retentionMs: number
  /** Classifies one image: its result line. Rejects only when the signal aborted (cancel, stop). */
  classify(job: Job, image: JobImage, signal: AbortSignal): Promise<JobResult>
  /** Whether the job's upload is still in the spool; a job whose upload is gone fails as a whole. */
  hasUpload(job: Job): Promise<boolean>
  /** Each result written, and each job once it finished. */
  onResult?(job: Job, result: JobResult): void
  onFinished?(job: Job): void
  onError?(error: unknown): void
}

/**
 * Works through the unfinished jobs of a store, oldest first and each in submission order, with a bounded number
 * of images in flight. It is woken by a new job, by an image finishing, and at start (jobs left by a stop or a
 * crash resume where their results end); it never polls. Every result is written once, so an image that was in
 * flight when the process stopped is simply classified again.
 */
export class JobRunner {
  private inFlight = 0
  private stopping = false
  private filling = false
  private refill = false
  private current?: { job: Job; cursor: number; page: JobImage[] }
  /**
   * Unfinished jobs whose every waiting image has been handed out by this process. A job that is no longer
   * unfinished (cancelled, failed, finished elsewhere) is forgotten at the next look, so the set stays bounded.
   */
  private readonly handedOut = new Set<string>()
  private readonly controllers = new Map<string, AbortController>()
  private readonly running = new Set<Promise<void>>()

  constructor(
    private readonly store: JobStore,
    private readonly options: JobRunnerOptions
  ) {}

  /** Looks for work: after start, and whenever a job is added. */
  wake(): void {
    void this.fill()
  }

  /** Stops a job's work: its waiting images are never started, those in flight are aborted and not written. */
  cancel(id: string): void {
    this.controllers.get(id)?.abort(new Error('job cancelled'))
    this.controllers.delete(id)
    this.handedOut.add(id)
    if (this.current?.job.id === id) this.current = undefined
  }

  /** Images in flight now. */
  get active(): number {
    return this.inFlight
  }

  /** Jobs this runner remembers as handed out (bounded by the unfinished jobs). */
  get handedOutJobs(): number {
    return this.handedOut.size
  }

  /** Starts nothing more and aborts what is in flight (it is classified again after the restart). */
  async stop(): Promise<void> {
    this.stopping = true
    for (const controller of this.controllers.values()) controller.abort(new Error('server stopping'))
    await Promise.allSettled([...this.running])
  }

  private async fill(): Promise<void> {
    if (this.filling) {
      this.refill = true
      return
    }
    this.filling = true
    try {
      do {
        this.refill = false
        while (!this.stopping && this.inFlight < this.options.maxInFlight) {
          const next = await this.next()
          if (!next) break
          this.launch(next.job, next.image)
        }
      } while (this.refill && !this.stopping)
    } catch (error) {
      this.options.onError?.(error)
    } finally {
      this.filling = false
    }
  }

  /** The next image to classify: the current job's next waiting one, else the first of the next unfinished job. */
  private async next(): Promise<{ job: Job; image: JobImage } | undefined> {
    for (;;) {
      if (!this.current) {
        const unfinished = await this.store.unfinished()
        this.forgetAllBut(unfinished)
        const job = unfinished.find((j) => !this.handedOut.has(j.id))
        if (!job) return undefined
        if (!(await this.options.hasUpload(job))) {
          const now = Date.now()
          await this.store.transition(
            job.id,
            ['queued', 'running'],
            'failed',
            now,
            now + this.options.retentionMs,
            'its upload is gone from the spool'
          )
          this.handedOut.add(job.id)
          continue
        }
        if (job.status === 'queued' && (await this.store.transition(job.id, ['queued'], 'running', Date.now()))) job.status = 'running'
        this.current = { job, cursor: 0, page: [] }
      }
      const current = this.current
      if (current.page.length === 0) current.page = await this.store.pendingImages(current.job.id, current.cursor, PAGE_IMAGES)
      if (this.current !== current) continue // cancelled while the page was read
      const image = current.page.shift()
      if (!image) {
        this.handedOut.add(current.job.id)
        this.current = undefined
        continue
      }
      current.cursor = image.index + 1
      return { job: current.job, image }
    }
  }

  private launch(job: Job, image: JobImage): void {
    this.inFlight++
    let controller = this.controllers.get(job.id)
    if (!controller) this.controllers.set(job.id, (controller = new AbortController()))
    const { signal } = controller
    const run = (async () => {
      try {
        const result = await this.options.classify(job, image, signal)
        if (signal.aborted) return // cancelled or stopping: not written, so a restart does it again
        const { job: after, written } = await this.store.saveResult(job.id, result)
        if (written) this.options.onResult?.(job, result)
        // Cancelled by another process (which this one hears of only here): stop handing out its images.
        if (after?.status === 'cancelled') this.cancel(after.id)
        if (after && isFinished(after.status)) this.finished(after)
      } catch (error) {
        if (!signal.aborted) this.options.onError?.(error)
      } finally {
        this.inFlight--
        void this.fill()
      }
    })()
    this.running.add(run)
    void run.finally(() => this.running.delete(run))
  }

  private forgetAllBut(unfinished: readonly Job[]): void {
    const ids = new Set(unfinished.map((job) => job.id))
    for (const id of this.handedOut) if (!ids.has(id)) this.handedOut.delete(id)
  }

  private finished(job: Job): void {
    this.controllers.delete(job.id)
    this.handedOut.delete(job.id)
    this.options.onFinished?.(job)
  }
}
