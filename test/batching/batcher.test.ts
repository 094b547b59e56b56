import { describe, expect, test } from 'bun:test'
import { Batcher } from '../../src/batching/batcher'
import { AppError } from '../../src/errors'
import { FakeClock } from '../helpers/fake-clock'
import { RecordingRunner } from '../helpers/recording-runner'

const ELEMENTS = 4
const image = (tag: number) => new Uint8Array(ELEMENTS).fill(tag)

function setup(workers = 1, maxBatchSize = 4, maxBatchDelayMs = 10, maxQueueImages = 16) {
  const clock = new FakeClock()
  const runner = new RecordingRunner(workers)
  const skipped: string[] = []
  const batcher = new Batcher(runner, { maxQueueImages, clock, onSkipped: (m) => skipped.push(m) })
  batcher.addModel('m', { maxBatchSize, maxBatchDelayMs, inputElements: ELEMENTS, outputElements: 1 })
  return { clock, runner, batcher, skipped }
}

/** Lets promise callbacks run (no timers involved). */
const flush = () => new Promise((resolve) => queueMicrotask(() => resolve(undefined)))

describe('Batcher', () => {
  test('a lone request on an idle server is dispatched at once', () => {
    const { runner, batcher } = setup()
    void batcher.submit('m', [image(1)])
    expect(runner.calls.map((c) => c.batchSize)).toEqual([1])
  })

  test('a lone request of several images on an idle server is spread over the idle workers at once', () => {
    const { runner, batcher } = setup(2, 8)
    void batcher.submit('m', [image(1), image(2), image(3), image(4), image(5)])
    expect(runner.calls.map((c) => [c.worker, c.batchSize])).toEqual([
      [0, 3],
      [1, 2]
    ])
  })

  test('requests arriving while the worker is busy form one batch when it frees', async () => {
    const { runner, batcher } = setup(1, 8)
    const first = batcher.submit('m', [image(1)])
    const rest = [2, 3, 4].map((tag) => batcher.submit('m', [image(tag)]))
    expect(runner.calls.length).toBe(1)
    expect(batcher.running('m')).toBe(1)
    expect(batcher.depth('m')).toBe(3)
    runner.finish(0, ELEMENTS)
    expect(runner.calls.map((c) => c.batchSize)).toEqual([1, 3])
    runner.finish(1, ELEMENTS)
    const results = await Promise.all([first, ...rest])
    expect(batcher.running('m')).toBe(0)
    expect(results.map((r) => r[0]!.scores[0])).toEqual([1, 2, 3, 4])
    expect(results[3]![0]!.batchSize).toBe(3)
  })

  test('dispatches a full batch at max size', () => {
    const { runner, batcher } = setup(2, 4)
    void batcher.submit('m', [image(0)]) // occupies worker 1, so worker 2 sees a busy system
    void batcher.submit('m', [image(1), image(2), image(3)])
    expect(runner.calls.length).toBe(1)
    void batcher.submit('m', [image(4)])
    expect(runner.calls.map((c) => c.batchSize)).toEqual([1, 4])
  })

  test('waits the batch delay counted from the oldest image, then dispatches', () => {
    const { clock, runner, batcher } = setup(2, 8, 10)
    void batcher.submit('m', [image(0)])
    void batcher.submit('m', [image(1)])
    clock.advance(6)
    void batcher.submit('m', [image(2)])
    expect(runner.calls.length).toBe(1)
    clock.advance(3)
    expect(runner.calls.length).toBe(1)
    clock.advance(1)
    expect(runner.calls.map((c) => c.batchSize)).toEqual([1, 2])
  })

  test('a multi-image request counts each image and keeps order across batches', async () => {
    const { runner, batcher } = setup(1, 2)
    const pending = batcher.submit('m', [image(1), image(2), image(3)])
    expect(runner.calls[0]!.batchSize).toBe(2)
    runner.finish(0, ELEMENTS)
    expect(runner.calls[1]!.batchSize).toBe(1)
    runner.finish(1, ELEMENTS)
    expect((await pending).map((r) => r.scores[0])).toEqual([1, 2, 3])
  })

  test('a full queue rejects with 429 queue_full and Retry-After, admitting nothing of the request', () => {
    const { batcher } = setup(1, 1, 10, 3)
    void batcher.submit('m', [image(1)]) // running, not queued
    void batcher.submit('m', [image(2), image(3)])
    expect(batcher.depth('m')).toBe(2)
    let error: unknown
    try {
      void batcher.submit('m', [image(4), image(5)])
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe('queue_full')
    expect((error as AppError).retryAfterSeconds).toBeGreaterThan(0)
    expect(batcher.depth('m')).toBe(2)
  })

  test('an aborted request leaves the queue, is counted, and never reaches a worker', async () => {
    const { runner, batcher, skipped } = setup(1, 8)
    void batcher.submit('m', [image(1)])
    const controller = new AbortController()
    const doomed = batcher.submit('m', [image(2), image(3)], { signal: controller.signal })
    const kept = batcher.submit('m', [image(4)])
    controller.abort(new AppError('deadline_exceeded', 'late'))
    await expect(doomed).rejects.toMatchObject({ code: 'deadline_exceeded' })
    expect(skipped).toEqual(['m', 'm'])
    runner.finish(0, ELEMENTS)
    expect(runner.calls[1]!.batchSize).toBe(1)
    runner.finish(1, ELEMENTS)
    expect((await kept)[0]!.scores[0]).toBe(4)
  })

  test('a failed batch rejects only its own requests', async () => {
    const { runner, batcher } = setup(1, 1)
    const a = batcher.submit('m', [image(1)])
    const b = batcher.submit('m', [image(2)])
    runner.fail(0, new AppError('worker_lost', 'gone'))
    await expect(a).rejects.toMatchObject({ code: 'worker_lost' })
    await flush()
    runner.finish(1, ELEMENTS)
    expect((await b)[0]!.scores[0]).toBe(2)
  })

  test('no timer is left armed once the queue is empty', () => {
    const { clock, runner, batcher } = setup(2, 8, 10)
    void batcher.submit('m', [image(0)])
    void batcher.submit('m', [image(1)])
    expect(clock.pendingTimers).toBe(1)
    clock.advance(10)
    expect(runner.calls.length).toBe(2)
    expect(clock.pendingTimers).toBe(0)
  })
})

describe('Batcher admission', () => {
  test('room held during preprocessing counts toward the bound, and is handed over on submit', () => {
    const { batcher } = setup(1, 1, 10, 3)
    void batcher.submit('m', [image(1)]) // runs at once: not queued
    const held = batcher.admit('m', 2)
    expect(() => batcher.admit('m', 2)).toThrow(expect.objectContaining({ code: 'queue_full' }))
    void batcher.submit('m', [image(2), image(3)], { admission: held })
    expect(batcher.depth('m')).toBe(2)
    const one = batcher.admit('m', 1) // 2 queued + 1 held = 3: full
    expect(() => batcher.admit('m', 1)).toThrow(expect.objectContaining({ code: 'queue_full' }))
    one.release()
    one.release() // idempotent
    expect(() => batcher.admit('m', 1).release()).not.toThrow()
  })

  test('submit refuses an admission for a different number of images', () => {
    const { batcher } = setup()
    const held = batcher.admit('m', 2)
    expect(() => batcher.submit('m', [image(1)], { admission: held })).toThrow('admitted 2 images, submitted 1')
  })
})

describe('Batcher with instance counts (not every worker holds every model)', () => {
  function twoModels() {
    const clock = new FakeClock()
    // Worker 0 holds both models, worker 1 only "big": "small" has one instance.
    const runner = new RecordingRunner(2, [['big', 'small'], ['big']])
    const batcher = new Batcher(runner, { maxQueueImages: 16, clock })
    for (const model of ['big', 'small'])
      batcher.addModel(model, { maxBatchSize: 4, maxBatchDelayMs: 10, inputElements: ELEMENTS, outputElements: 1 })
    return { clock, runner, batcher }
  }

  test('a model whose only worker is busy waits for it, though another worker is idle', () => {
    const { runner, batcher } = twoModels()
    void batcher.submit('small', [image(1)])
    void batcher.submit('small', [image(2)])
    expect(runner.calls.map((c) => [c.model, c.worker])).toEqual([['small', 0]])
    expect(batcher.depth('small')).toBe(1)
    runner.finish(0, ELEMENTS)
    expect(runner.calls.map((c) => [c.model, c.worker])).toEqual([
      ['small', 0],
      ['small', 0]
    ])
  })

  test('the other model runs on the worker that does not hold the busy one', () => {
    const { clock, runner, batcher } = twoModels()
    void batcher.submit('small', [image(1)])
    void batcher.submit('big', [image(2)])
    // A batch is running, so "big" waits its window for company (the usual policy), then takes worker 1.
    expect(runner.calls.length).toBe(1)
    clock.advance(10)
    expect(runner.calls.map((c) => [c.model, c.worker])).toEqual([
      ['small', 0],
      ['big', 1]
    ])
  })
})

describe('Batcher decode-ahead bound (Admission.turn)', () => {
  /** One worker, batches of 2, no window; a bound of one batch: 2 images decoded ahead of the worker. */
  function bounded() {
    const runner = new RecordingRunner(1)
    const batcher = new Batcher(runner, { maxQueueImages: 16, decodeAheadBatches: 1, clock: new FakeClock() })
    batcher.addModel('m', { maxBatchSize: 2, maxBatchDelayMs: 0, inputElements: ELEMENTS, outputElements: 1 })
    void batcher.submit('m', [image(0)]) // the worker is busy from here on
    /** Admits `images`, asks for the turn, and records when it comes. */
    const ask = (images: number, signal?: AbortSignal) => {
      const admission = batcher.admit('m', images)
      const asked = { admission, granted: false, refused: undefined as unknown }
      admission.turn(signal).then(
        () => (asked.granted = true),
        (reason) => (asked.refused = reason)
      )
      return asked
    }
    return { runner, batcher, ask }
  }

  test('images decode at once up to the bound; the next waits until a batch leaves the queue', async () => {
    const { runner, batcher, ask } = bounded()
    const [a, b, c] = [ask(1), ask(1), ask(1)]
    await flush()
    expect([a.granted, b.granted, c.granted]).toEqual([true, true, false])
    expect(batcher.awaitingDecode('m')).toBe(1)
    // Decoded and queued, the two still count as ahead of the worker: c keeps waiting.
    void batcher.submit('m', [image(1)], { admission: a.admission })
    void batcher.submit('m', [image(2)], { admission: b.admission })
    await flush()
    expect(c.granted).toBe(false)
    expect(batcher.depth('m')).toBe(2)
    runner.finish(0, ELEMENTS) // the worker frees, takes the batch of 2: c's turn
    await flush()
    expect(runner.calls.map((call) => call.batchSize)).toEqual([1, 2])
    expect(c.granted).toBe(true)
    expect(batcher.awaitingDecode('m')).toBe(0)
  })

  test('turns come in arrival order: a small request does not pass a larger one waiting', async () => {
    const { runner, ask } = bounded()
    const [a, big, small] = [ask(1), ask(2), ask(1)]
    await flush()
    expect([a.granted, big.granted, small.granted]).toEqual([true, false, false])
    a.admission.release() // a's decode failed: its turn goes back, and the line moves on
    await flush()
    expect([big.granted, small.granted]).toEqual([true, false])
    expect(runner.calls.length).toBe(1)
  })

  test('an admission given back while it waited holds no room when its turn comes', async () => {
    const { runner, batcher, ask } = bounded()
    const [a, b, gone] = [ask(1), ask(1), ask(1)]
    await flush()
    gone.admission.release() // its request failed while in line
    void batcher.submit('m', [image(1)], { admission: a.admission })
    void batcher.submit('m', [image(2)], { admission: b.admission })
    runner.finish(0, ELEMENTS) // the batch of 2 leaves: the turn passes over the given-back admission
    await flush()
    const pair = ask(2)
    await flush()
    expect(pair.granted).toBe(true)
  })

  test('a request larger than the bound still decodes when nothing is ahead', async () => {
    const { ask } = bounded()
    const huge = ask(5)
    const next = ask(1)
    await flush()
    expect([huge.granted, next.granted]).toEqual([true, false])
  })

  test('an aborted request leaves the line with its reason, and the one behind it moves up', async () => {
    const { ask } = bounded()
    const controller = new AbortController()
    const [a, blocked, behind] = [ask(1), ask(2, controller.signal), ask(1)]
    await flush()
    expect([a.granted, blocked.granted, behind.granted]).toEqual([true, false, false])
    const reason = new AppError('deadline_exceeded', 'too late')
    controller.abort(reason)
    await flush()
    expect(blocked.refused).toBe(reason)
    expect(behind.granted).toBe(true)
    const aborted = new AbortController()
    aborted.abort(reason)
    const late = ask(1, aborted.signal)
    await flush()
    expect(late.refused).toBe(reason)
  })

  test('without a bound every turn comes at once', async () => {
    const { batcher } = setup(1, 1)
    void batcher.submit('m', [image(0)])
    const admissions = [1, 2, 3].map(() => batcher.admit('m', 1))
    let granted = 0
    await Promise.all(admissions.map((a) => a.turn().then(() => granted++)))
    expect(granted).toBe(3)
  })
})

describe('Batcher background class (bulk jobs)', () => {
  const background = (batcher: Batcher, tags: number[], signal?: AbortSignal) =>
    batcher.submit('m', tags.map(image), { admission: batcher.admitBackground('m', tags.length), signal })

  test('background images take an idle worker in small batches when no interactive image waits', async () => {
    const { runner, batcher } = setup(2, 16)
    const job = background(batcher, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(runner.calls.map((c) => c.batchSize)).toEqual([4, 4])
    expect(batcher.backgroundInUse('m')).toBe(10)
    expect(batcher.backlog('m')).toBe(0) // the autoscaling signal counts requests only
    runner.finish(0, ELEMENTS)
    runner.finish(1, ELEMENTS)
    expect(runner.calls.map((c) => c.batchSize)).toEqual([4, 4, 2])
    runner.finish(2, ELEMENTS)
    expect((await job).map((r) => r.scores[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  })

  test('an interactive image waiting goes before every background image, whatever their age', async () => {
    const { runner, batcher } = setup(1, 16)
    void background(batcher, [1, 2, 3, 4, 5, 6])
    const interactive = batcher.submit('m', [image(9)])
    expect(runner.calls.map((c) => c.batchSize)).toEqual([4]) // the worker was idle: the job's first batch runs
    runner.finish(0, ELEMENTS)
    // The interactive image waited one small batch, then goes alone, before the job's rest.
    expect(runner.calls[1]!.input[0]).toBe(9)
    runner.finish(1, ELEMENTS)
    expect((await interactive)[0]!.scores[0]).toBe(9)
    expect(runner.calls[2]!.batchSize).toBe(2)
  })

  test('while a request is in flight (here: decoding), a job runs one batch at a time', async () => {
    const { runner, batcher } = setup(2, 16)
    const admission = batcher.admit('m', 1) // a request's image being decoded: the cores are not idle
    void background(batcher, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(runner.calls.map((c) => c.batchSize)).toEqual([4]) // one worker stays free for the request
    runner.finish(0, ELEMENTS)
    await flush()
    expect(runner.calls.map((c) => c.batchSize)).toEqual([4, 4])
    admission.release() // the request is gone: the job may take every idle worker
    runner.finish(1, ELEMENTS)
    await flush()
    expect(runner.calls.map((c) => c.batchSize)).toEqual([4, 4, 2])
  })

  test('background images hold no queue room: a job never makes a request see queue_full', () => {
    const { batcher } = setup(1, 1, 10, 2)
    void background(batcher, [1, 2, 3, 4, 5])
    expect(() => batcher.checkRoom('m', 2)).not.toThrow()
    void batcher.submit('m', [image(6), image(7)])
    expect(batcher.depth('m')).toBe(2)
  })

  test('an aborted background submission leaves the queue and is counted', async () => {
    const { runner, batcher, skipped } = setup(1, 16)
    void batcher.submit('m', [image(0)])
    const controller = new AbortController()
    const job = background(batcher, [1, 2], controller.signal)
    controller.abort(new Error('cancelled'))
    await expect(job).rejects.toThrow('cancelled')
    expect(skipped).toEqual(['m', 'm'])
    runner.finish(0, ELEMENTS)
    await flush()
    expect(runner.calls.length).toBe(1)
    expect(batcher.inUse('m')).toBe(0)
  })
})
