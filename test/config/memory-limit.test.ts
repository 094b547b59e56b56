import { describe, expect, test } from 'bun:test'
import { memoryLimit, parseCgroupLimit } from '../../src/config/memory-limit'

const GiB = 1024 ** 3

describe('parseCgroupLimit', () => {
  const cases: [string, number | undefined][] = [
    ['536870912\n', 536870912],
    ['max\n', undefined], // cgroup v2: no limit
    ['9223372036854771712\n', undefined], // cgroup v1: no limit
    ['0', undefined],
    ['junk', undefined]
  ]
  for (const [text, bytes] of cases) test(JSON.stringify(text), () => expect(parseCgroupLimit(text)).toBe(bytes))
})

describe('memoryLimit', () => {
  const files = (map: Record<string, string>) => (path: string) => map[path]

  test('cgroup v2 limit first', () => {
    expect(memoryLimit(files({ '/sys/fs/cgroup/memory.max': '536870912' }), 16 * GiB)).toEqual({ bytes: 536870912, source: 'cgroup v2' })
  })
  test('cgroup v1 when there is no v2 file', () => {
    expect(memoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': String(GiB) }), 16 * GiB)).toEqual({
      bytes: GiB,
      source: 'cgroup v1'
    })
  })
  test('the RAM when the cgroup has no limit, or one above the RAM', () => {
    expect(memoryLimit(files({ '/sys/fs/cgroup/memory.max': 'max' }), 16 * GiB)).toEqual({ bytes: 16 * GiB, source: 'os.totalmem' })
    expect(memoryLimit(files({ '/sys/fs/cgroup/memory.max': String(64 * GiB) }), 16 * GiB)).toEqual({
      bytes: 16 * GiB,
      source: 'os.totalmem'
    })
    expect(memoryLimit(files({}), 16 * GiB)).toEqual({ bytes: 16 * GiB, source: 'os.totalmem' })
  })
})
