import { readFileSync } from 'node:fs'
import { totalmem } from 'node:os'

/** Where the kernel says how much memory this process's container may use (cgroup v2, then v1). */
const CGROUP_LIMIT_FILES = ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']

/** cgroup v1 writes "no limit" as a huge number (PAGE_COUNTER_MAX × page size, ≈ 2^63); anything this big is no limit. */
const NO_LIMIT_ABOVE = 2 ** 60

export interface MemoryLimit {
  bytes: number
  /** Where the figure came from, for the startup log. */
  source: 'cgroup v2' | 'cgroup v1' | 'os.totalmem'
}

/** Parses one cgroup limit file's text: a byte count, or undefined for "max" / the v1 no-limit sentinel / junk. */
export function parseCgroupLimit(text: string): number | undefined {
  const trimmed = text.trim()
  if (!/^[0-9]+$/.test(trimmed)) return undefined // "max" (v2) or unreadable
  const bytes = Number(trimmed)
  return bytes > 0 && bytes < NO_LIMIT_ABOVE ? bytes : undefined
}

/**
 * The memory this process may use: the container's cgroup limit when there is one (the kernel OOM-kills
 * us at that figure, not at the host's RAM), else the machine's RAM. `read` is injectable for tests.
 */
export function memoryLimit(read: (path: string) => string | undefined = readOrUndefined, hostBytes = totalmem()): MemoryLimit {
  for (const [i, path] of CGROUP_LIMIT_FILES.entries()) {
    const text = read(path)
    const bytes = text === undefined ? undefined : parseCgroupLimit(text)
    // A container limit above the host's RAM cannot be reached; the RAM is the real bound then.
    if (bytes !== undefined)
      return bytes < hostBytes ? { bytes, source: i === 0 ? 'cgroup v2' : 'cgroup v1' } : { bytes: hostBytes, source: 'os.totalmem' }
  }
  return { bytes: hostBytes, source: 'os.totalmem' }
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}
