/** What the batcher should do next for one model queue. */
export type BatchDecision =
  | { kind: 'idle' } // nothing queued
  | { kind: 'await-worker' } // work queued, every worker busy: the next worker to free up re-decides
  | { kind: 'dispatch'; size: number; reason: 'full' | 'delay-elapsed' | 'system-idle' }
  | { kind: 'wait'; ms: number } // a partial batch may still grow; decide again after ms

export interface QueueView {
  /** Images waiting, in arrival order. */
  readonly length: number
  /** Enqueue time (ms, the batcher's clock) of the oldest waiting image; ignored when length is 0. */
  readonly oldestEnqueuedAt: number
}

export interface WorkersView {
  readonly idle: number
  readonly busy: number
}

export interface BatchPolicyConfig {
  readonly maxBatchSize: number
  readonly maxBatchDelayMs: number
}

/**
 * The batching decision, a pure function so it is tested as a table (no timers).
 *
 * - Full batch and a free worker: go.
 * - No batch is running anywhere (the server is idle): go now, with the images spread over the idle workers
 *   (a lone request of 4 images on 2 idle workers: 2 + 2 at once). Nobody else is coming soon enough to be
 *   worth waiting for, so a lone request at low load never sits out a window.
 * - The oldest image has waited the batch delay: go with what there is (delay counted from the oldest, as
 *   Triton's max_queue_delay). With the shipped window of 0 that is at once: a free worker never idles while
 *   images wait, and batches form on their own while every worker is busy.
 * - Otherwise (a window above 0, other batches running): wait the rest of the window for a fuller batch, for
 *   hardware where a batch costs much less per image than its images one by one.
 */
export function decideBatch(queue: QueueView, workers: WorkersView, now: number, config: BatchPolicyConfig): BatchDecision {
  if (queue.length === 0) return { kind: 'idle' }
  if (workers.idle === 0) return { kind: 'await-worker' }
  if (queue.length >= config.maxBatchSize) return { kind: 'dispatch', size: config.maxBatchSize, reason: 'full' }
  // Spread over the idle workers: a lone request of several images runs on all of them at once, not on one.
  if (workers.busy === 0) return { kind: 'dispatch', size: Math.ceil(queue.length / workers.idle), reason: 'system-idle' }
  const waitedMs = now - queue.oldestEnqueuedAt
  if (waitedMs >= config.maxBatchDelayMs) return { kind: 'dispatch', size: queue.length, reason: 'delay-elapsed' }
  return { kind: 'wait', ms: config.maxBatchDelayMs - waitedMs }
}

/** Which of a queue's two classes an image is in: requests waiting on an answer, or a bulk job's images. */
export type Priority = 'interactive' | 'background'

/** What the background decision sees besides its own queue: the interactive work anywhere in the server. */
export interface BackgroundView {
  /** Background images of this queue waiting. */
  readonly background: number
  /** Interactive images of this queue waiting for a worker. */
  readonly interactiveWaiting: number
  /** Interactive images admitted anywhere and not yet answered (decoding, queued or running). */
  readonly interactiveInFlight: number
  /** Background batches running anywhere. */
  readonly backgroundBatchesRunning: number
  /** Idle workers that hold this queue's model. */
  readonly idleWorkers: number
}

/**
 * The decision for a queue's background images (bulk jobs), taken after every interactive image that could go has
 * gone, as Triton's priority levels:
 * - never while an interactive image of the queue waits for a worker, or with no idle worker;
 * - in batches of at most `backgroundBatchSize`, so an interactive image arriving just after one starts waits at
 *   most one small batch;
 * - while requests are in flight, one background batch at a time: on a CPU an "idle" worker does not mean idle
 *   cores (requests are being decoded), so a job keeps progressing but takes at most one worker's share;
 * - with no request in flight, on every idle worker: the job gets the whole machine.
 */
export function decideBackground(view: BackgroundView, backgroundBatchSize: number): { kind: 'idle' } | { kind: 'dispatch'; size: number } {
  if (view.background === 0 || view.interactiveWaiting > 0 || view.idleWorkers === 0) return { kind: 'idle' }
  if (view.interactiveInFlight > 0 && view.backgroundBatchesRunning > 0) return { kind: 'idle' }
  return { kind: 'dispatch', size: Math.min(view.background, backgroundBatchSize) }
}
