import { describe, expect, test } from 'bun:test'
import { dlopen, FFIType } from 'bun:ffi'
import { heapInUse, nativeHeapBytes } from '../../src/memory/native-heap'

// The totals malloc_info ends with (glibc 2.36, two arenas): 300 000 taken from the OS, 20 000 + 80 000 of it
// free, 4 096 000 in two chunks mmapped one by one. An arena's own totals come before its `</heap>`.
const MALLOC_INFO = `<malloc version="1">
<heap nr="0">
<total type="fast" count="9" size="999"/>
<total type="rest" count="9" size="999"/>
<system type="current" size="999"/>
</heap>
<heap nr="1">
<total type="rest" count="1" size="1"/>
</heap>
<total type="fast" count="3" size="20000"/>
<total type="rest" count="5" size="80000"/>
<total type="mmap" count="2" size="4096000"/>
<system type="current" size="300000"/>
<system type="max" size="400000"/>
</malloc>
`

describe('heapInUse', () => {
  test('reads the process-wide totals: taken from the OS, less the free chunks, plus the mmapped ones', () => {
    expect(heapInUse(MALLOC_INFO)).toBe(300_000 - 20_000 - 80_000 + 4_096_000)
  })

  test('an output without the totals is an error, not a figure', () => {
    expect(() => heapInUse('<malloc version="1">\n</malloc>\n')).toThrow('malloc_info output without')
  })
})

const libc =
  nativeHeapBytes() === undefined
    ? undefined
    : dlopen('libc.so.6', {
        malloc: { args: [FFIType.u64], returns: FFIType.ptr },
        free: { args: [FFIType.ptr], returns: FFIType.void }
      }).symbols

// Where there is glibc (Linux, the image): what a model load is measured with.
describe.skipIf(libc === undefined)('nativeHeapBytes', () => {
  test('counts what is allocated with malloc and not freed', () => {
    const before = nativeHeapBytes()!
    const block = libc!.malloc(8_000_000)!
    const held = nativeHeapBytes()! - before
    libc!.free(block)
    const after = nativeHeapBytes()! - before
    expect(held).toBeGreaterThanOrEqual(8_000_000)
    expect(held).toBeLessThan(8_100_000)
    expect(Math.abs(after)).toBeLessThan(100_000)
  })

  test('64 MB of JavaScript buffers, allocated and collected, leave it alone', () => {
    const before = nativeHeapBytes()!
    const held = whileHolding(8, () => nativeHeapBytes()! - before)
    Bun.gc(true)
    const collected = nativeHeapBytes()! - before
    expect(Math.abs(held)).toBeLessThan(1_000_000)
    expect(Math.abs(collected)).toBeLessThan(1_000_000)
  })
})

/** Runs `measure` while `count` JavaScript buffers of 8 MB each are alive; they are garbage once it returns. */
function whileHolding<T>(count: number, measure: () => T): T {
  const buffers = Array.from({ length: count }, () => new Uint8Array(8_000_000).fill(1))
  const value = measure()
  expect(buffers.length).toBe(count)
  return value
}
