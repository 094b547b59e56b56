/**
 * The bytes allocated with glibc's malloc and not yet freed, over the whole process. onnxruntime allocates its
 * sessions there; JavaScriptCore's heaps and Bun's own buffers are not there (they have allocators of their own).
 * So a garbage collection on another thread, or an allocator giving pages back to the OS late, leaves this figure
 * alone, while it moves the process RSS by megabytes at any moment. Native libraries that other threads call at
 * the same time (sharp, another worker's batch) still count.
 */
import { CString, dlopen, FFIType, type Pointer, ptr, read } from 'bun:ffi'

// mallinfo2 returns its struct by value, which bun:ffi cannot call on every ABI; malloc_info writes the same totals
// as XML to a FILE*, here an open_memstream (a malloc'd buffer that glibc grows and we free).
function glibcHeapInUse(): (() => number) | undefined {
  try {
    const { symbols } = dlopen('libc.so.6', {
      open_memstream: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.ptr },
      malloc_info: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
      fclose: { args: [FFIType.ptr], returns: FFIType.i32 },
      free: { args: [FFIType.ptr], returns: FFIType.void }
    })
    // open_memstream's two out-parameters: the buffer's address and its length, 8 bytes each.
    const cells = new BigUint64Array(2)
    const mallocInfo = (): string => {
      const stream = symbols.open_memstream(ptr(cells), ptr(cells, 8))
      if (!stream) throw new Error('open_memstream failed')
      const status = symbols.malloc_info(0, stream)
      symbols.fclose(stream)
      const buffer = read.ptr(ptr(cells)) as Pointer
      const text = new CString(buffer, 0, Number(read.u64(ptr(cells), 8))).toString()
      symbols.free(buffer)
      if (status !== 0) throw new Error('malloc_info failed')
      return text
    }
    heapInUse(mallocInfo()) // a glibc whose output this cannot read counts as none, not as a failed model load
    return () => heapInUse(mallocInfo())
  } catch {
    return undefined // musl (Alpine), macOS, or no FFI
  }
}

let inUse: (() => number) | undefined | null = null

/** glibc's heap in use (see above); undefined where there is no glibc. */
export function nativeHeapBytes(): number | undefined {
  if (inUse === null) inUse = glibcHeapInUse()
  return inUse?.()
}

/**
 * In use = what the arenas took from the OS, less their free chunks (fast bins, other bins and the top chunk), plus
 * the chunks mmapped one by one; the process-wide totals follow the last arena's `</heap>`.
 */
export function heapInUse(xml: string): number {
  const totals = xml.slice(xml.lastIndexOf('</heap>'))
  const size = (pattern: RegExp): number => {
    const match = pattern.exec(totals)
    if (!match) throw new Error(`malloc_info output without ${pattern.source}`)
    return Number(match[1])
  }
  const system = size(/<system type="current" size="(\d+)"/)
  const free = size(/<total type="fast" count="\d+" size="(\d+)"/) + size(/<total type="rest" count="\d+" size="(\d+)"/)
  return system - free + size(/<total type="mmap" count="\d+" size="(\d+)"/)
}
