import { describe, expect, test } from 'bun:test'
import { Batcher } from '../../src/batching/batcher'
import type { RunResult } from '../../src/inference/pool'
import { FakeClock } from '../helpers/fake-clock'
import { RecordingRunner } from '../helpers/recording-runner'

interface EncodedCall {
  model: string
  bytes: Uint8Array
  width: number
  height: number
  settle: (result: RunResult | undefined) => void
  done?: boolean
}

/** The recording runner, plus runEncoded: each call waits for the test to answer it (a result, or a decline). */
class EncodedRunner extends RecordingRunner {
  readonly encoded: EncodedCall[] = []

  override get busy(): number {
    return super.busy + this.encoded.filter((c) => !c.done).length
  }

  override idleFor(model: string): number {
    return Math.max(0, super.idleFor(model) - this.encoded.filter((c) => !c.done).length)
  }

  runEncoded(model: string, bytes: Uint8Array, width: number, height: number): Promise<RunResult | undefined> {
    return new Promise((settle) => this.encoded.push({ model, bytes, width, height, settle }))
  }

  answer(i: number, result: RunResult | undefined): void {
    const call = this.encoded[i]!
    call.done = true
    call.settle(result)
  }
}

const ELEMENTS = 4
const jpeg = new Uint8Array([0xff, 0xd8, 1, 2, 3])
const size = { width: 451, height: 300 }

function setup(workers = 2) {
  const runner = new EncodedRunner(workers)
  const decodes: string[] = []
  const batcher = new Batcher(runner, {
    maxQueueImages: 16,
    clock: new FakeClock(),
    onWorkerDecode: (model, outcome) => decodes.push(`${model} ${outcome}`)
  })
  for (const model of ['m', 'n'])
    batcher.addModel(model, { maxBatchSize: 4, maxBatchDelayMs: 0, inputElements: ELEMENTS, outputElements: 2 })
  return { runner, batcher, decodes }
}

describe('Batcher.runAlone: a lone encoded image goes to a worker to decode', () => {
  test('on an idle server it is sent at once, counts as running, and comes back as a batch of one', async () => {
    const { runner, batcher, decodes } = setup()
    const admission = batcher.admit('m', 1)
    const pending = batcher.runAlone('m', jpeg, size, admission)
    expect(runner.encoded.map(({ model, bytes, width, height }) => ({ model, bytes, width, height }))).toEqual([
      { model: 'm', bytes: jpeg, width: 451, height: 300 }
    ])
    expect(batcher.running('m')).toBe(1)
    runner.answer(0, { output: new Float32Array([0.25, 0.75]), inferenceMs: 6, preprocessMs: 3 })
    expect(await pending).toEqual({ scores: new Float32Array([0.25, 0.75]), queueMs: 0, inferenceMs: 6, batchSize: 1, preprocessMs: 3 })
    expect(batcher.running('m')).toBe(0)
    expect(decodes).toEqual(['m ran'])
  })

  test('a declined image comes back undefined (the caller decodes it with sharp) and is counted', async () => {
    const { runner, batcher, decodes } = setup()
    const pending = batcher.runAlone('m', jpeg, size, batcher.admit('m', 1))
    runner.answer(0, undefined)
    expect(await pending).toBeUndefined()
    expect(decodes).toEqual(['m declined'])
    expect(batcher.running('m')).toBe(0)
  })

  test('not while any other work is in the server: a busy worker, or another request being preprocessed', async () => {
    const busy = setup()
    void busy.batcher.submit('n', [new Uint8Array(ELEMENTS)]) // runs on a worker
    expect(await busy.batcher.runAlone('m', jpeg, size, busy.batcher.admit('m', 1))).toBeUndefined()

    const preprocessing = setup()
    preprocessing.batcher.admit('n', 1) // another request's image, still decoding
    expect(await preprocessing.batcher.runAlone('m', jpeg, size, preprocessing.batcher.admit('m', 1))).toBeUndefined()

    for (const { runner, decodes } of [busy, preprocessing]) {
      expect(runner.encoded).toEqual([])
      expect(decodes).toEqual([])
    }
  })

  test('only for a request of one image', async () => {
    const { runner, batcher } = setup()
    expect(await batcher.runAlone('m', jpeg, size, batcher.admit('m', 2))).toBeUndefined()
    expect(runner.encoded).toEqual([])
  })

  test('a runner without runEncoded never gets one', async () => {
    const runner = new RecordingRunner(1)
    const batcher = new Batcher(runner, { maxQueueImages: 4, clock: new FakeClock() })
    batcher.addModel('m', { maxBatchSize: 4, maxBatchDelayMs: 0, inputElements: ELEMENTS, outputElements: 2 })
    expect(await batcher.runAlone('m', jpeg, size, batcher.admit('m', 1))).toBeUndefined()
    expect(runner.calls).toEqual([])
  })

  test('an abort rejects at once with its reason; the worker’s answer is then dropped', async () => {
    const { runner, batcher } = setup()
    const controller = new AbortController()
    const pending = batcher.runAlone('m', jpeg, size, batcher.admit('m', 1), controller.signal)
    controller.abort(new Error('deadline'))
    expect(pending).rejects.toThrow('deadline')
    runner.answer(0, { output: new Float32Array(2), inferenceMs: 1 })
    await Promise.resolve()
    expect(batcher.running('m')).toBe(0)
  })

  test('a result of the wrong length is an error, not scores', async () => {
    const { runner, batcher } = setup()
    const pending = batcher.runAlone('m', jpeg, size, batcher.admit('m', 1))
    runner.answer(0, { output: new Float32Array(3), inferenceMs: 1 })
    expect(pending).rejects.toThrow('returned 3 values, expected 2')
  })
})
