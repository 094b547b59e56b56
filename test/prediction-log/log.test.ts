import { describe, expect, test } from 'bun:test'
import { PredictionLog } from '../../src/prediction-log/log'
import type { PredictionRecord } from '../../src/prediction-log/record'
import type { PredictionStore } from '../../src/prediction-log/store'
import { record } from '../helpers/prediction-record'

/** A store that keeps what it is given, and fails while `down` is set. */
class MemoryStore implements PredictionStore {
  written: PredictionRecord[] = []
  writes = 0
  down = false
  closed = false
  pruned: Array<[number, number]> = []
  readonly name = 'memory'
  async write(records: readonly PredictionRecord[]) {
    if (this.down) throw new Error('store unreachable')
    this.writes++
    this.written.push(...records)
  }
  async since() {
    return []
  }
  async first() {
    return []
  }
  async prune(beforeMs: number, maxRecords: number) {
    this.pruned.push([beforeMs, maxRecords])
    return 0
  }
  async count() {
    return this.written.length
  }
  async close() {
    this.closed = true
  }
}

const options = { maxBufferedRecords: 5, maxAgeMs: 1_000, maxRecords: 100, flushRecords: 3, flushIntervalMs: 60_000, now: () => 10_000 }

describe('the prediction log', () => {
  test('buffers records and writes them in one batch, off the call that adds them', async () => {
    const store = new MemoryStore()
    const log = new PredictionLog(store, options)
    log.add(record({ requestId: 'a' }))
    log.add(record({ requestId: 'b' }))
    expect(store.written).toHaveLength(0)
    expect(log.counts.buffered).toBe(2)
    log.add(record({ requestId: 'c' })) // the third fills a batch: written on the next turn, not inside add()
    expect(store.written).toHaveLength(0)
    await new Promise((resolve) => setImmediate(resolve)) // queued after the log's own immediate
    expect(store.written.map((r) => r.requestId)).toEqual(['a', 'b', 'c'])
    expect(store.writes).toBe(1)
    expect(log.counts).toEqual({ written: 3, dropped: { buffer_full: 0, store_error: 0 }, buffered: 0 })
    await log.close()
  })

  test('a full buffer drops and counts new records instead of growing', async () => {
    const store = new MemoryStore()
    const log = new PredictionLog(store, { ...options, flushRecords: 1_000 })
    for (let i = 0; i < 8; i++) log.add(record({ imageIndex: i }))
    expect(log.counts.buffered).toBe(5)
    expect(log.counts.dropped.buffer_full).toBe(3)
    await log.close()
    expect(store.written.map((r) => r.imageIndex)).toEqual([0, 1, 2, 3, 4])
  })

  test('a failing store costs its batch (counted, reported once), and writing resumes when it is back', async () => {
    const store = new MemoryStore()
    const errors: number[] = []
    let recovered = 0
    const log = new PredictionLog(store, {
      ...options,
      onWriteError: (_, dropped) => errors.push(dropped),
      onRecovered: () => recovered++
    })
    store.down = true
    log.add(record())
    await log.flush()
    log.add(record())
    log.add(record())
    await log.flush()
    expect(log.counts.dropped.store_error).toBe(3)
    expect(errors).toEqual([1]) // one report per failure streak, not one per flush
    store.down = false
    log.add(record({ requestId: 'after' }))
    await log.flush()
    expect(store.written.map((r) => r.requestId)).toEqual(['after'])
    expect(recovered).toBe(1)
    await log.close()
  })

  test('close writes what is buffered, closes the store, and later records are dropped', async () => {
    const store = new MemoryStore()
    const log = new PredictionLog(store, { ...options, flushRecords: 1_000 })
    log.add(record())
    log.add(record())
    await log.close()
    expect(store.written).toHaveLength(2)
    expect(store.closed).toBe(true)
    log.add(record())
    expect(log.counts.dropped.buffer_full).toBe(1)
  })

  test('prunes by age and size as it opens', async () => {
    const store = new MemoryStore()
    new PredictionLog(store, options).close()
    expect(store.pruned[0]).toEqual([9_000, 100])
  })
})
