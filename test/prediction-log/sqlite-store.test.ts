import { afterEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteStore } from '../../src/prediction-log/sqlite-store'
import { record } from '../helpers/prediction-record'

const dirs: string[] = []
const storeIn = () => {
  const dir = mkdtempSync(join(tmpdir(), 'prediction-store-'))
  dirs.push(dir)
  return new SqliteStore(join(dir, 'nested', 'log.sqlite'))
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('the SQLite prediction store', () => {
  test('creates its folder, writes a batch in one go, and reads one model version back in time order', () => {
    const store = storeIn()
    store.write([
      record({ timeMs: 3_000, label: 'tabby cat', classIndex: 281 }),
      record({ timeMs: 2_000 }),
      record({ timeMs: 2_500, version: '2' }),
      record({ timeMs: 2_600, model: 'shufflenetv2' })
    ])
    expect(store.count()).toBe(4)
    expect(store.since('mobilenetv2', '1', 0).map((p) => [p.timeMs, p.label])).toEqual([
      [2_000, 'Egyptian Mau'],
      [3_000, 'tabby cat']
    ])
    expect(store.since('mobilenetv2', undefined, 2_400)).toHaveLength(2)
    expect(store.since('mobilenetv2', '1', 2_001)[0]).toEqual({
      timeMs: 3_000,
      label: 'tabby cat',
      classIndex: 281,
      score: 0.7,
      totalMs: 15
    })
    store.close()
  })

  test('a null score and a null digest are kept as null', () => {
    const store = storeIn()
    store.write([record({ score: null, imageSha256: null })])
    expect(store.since('mobilenetv2', '1', 0)[0]!.score).toBeNull()
    store.close()
  })

  test('prunes by age, then the oldest beyond the record cap', () => {
    const store = storeIn()
    store.write(Array.from({ length: 10 }, (_, i) => record({ timeMs: i * 1_000 })))
    expect(store.prune(3_000, 100)).toBe(3) // times 0, 1000, 2000
    expect(store.prune(0, 4)).toBe(3) // 7 left, keep the newest 4
    expect(store.since('mobilenetv2', '1', 0).map((p) => p.timeMs)).toEqual([6_000, 7_000, 8_000, 9_000])
    store.close()
  })

  test('a second store on the same file sees what the first one wrote (processes on one host may share a file)', () => {
    const first = storeIn()
    const second = new SqliteStore(first.path)
    first.write([record()])
    expect(second.count()).toBe(1)
    first.close()
    second.close()
  })
})
