/** What Linux says about a process (all its threads together): CPU time, resident memory, listening ports. */
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs'

let clockTicks: number | undefined

/** Kernel clock ticks per second (utime/stime unit), usually 100. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim()
    clockTicks = Number(out) > 0 ? Number(out) : 100
  }
  return clockTicks
}

/** User + system CPU seconds of a `stat` line (a process's or one of its threads'). */
function statCpuSeconds(stat: string): number {
  // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return (utime + stime) / ticksPerSecond()
}

/** User + system CPU seconds consumed so far by every thread of `pid`; null if it cannot be read. */
export function cpuSeconds(pid: number): number | null {
  try {
    return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return null
  }
}

function statusField(pid: number, field: string): number | null {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))
    return match ? Number(match[1]) * 1024 : null
  } catch {
    return null
  }
}

/**
 * CPU seconds per thread of `pid`, summed by thread name (the main thread as "main"; Bun names its worker
 * threads "Worker", sharp's pool "Bun Pool N", libvips its own). Threads that ended are not counted.
 */
export function cpuSecondsByThread(pid: number): Record<string, number> {
  const out: Record<string, number> = {}
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    } catch {
      continue // the thread ended between the listing and the read
    }
    const name = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    out[name] = (out[name] ?? 0) + statCpuSeconds(stat)
  }
  return out
}

/**
 * Nanoseconds the main thread of `pid` has spent on a CPU (the first field of its schedstat): nanosecond resolution,
 * where `stat`'s ticks are 10 ms, for the CPU of one request.
 */
export const mainThreadCpuNs = (pid: number) => Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0])

/**
 * `pid` and every process below it, parents first: a supervisor's server processes (BUN_INFER_PROCESSES) are
 * where its CPU, memory and port are. Read from /proc/<pid>/task/<tid>/children (Linux 3.5+, CONFIG_PROC_CHILDREN);
 * where that is missing, `pid` alone.
 */
export function processTree(pid: number): number[] {
  const tree = [pid]
  for (let i = 0; i < tree.length; i++) {
    let tids: string[] = []
    try {
      tids = readdirSync(`/proc/${tree[i]}/task`)
    } catch {
      continue // it exited while we looked
    }
    for (const tid of tids) {
      try {
        const children = readFileSync(`/proc/${tree[i]}/task/${tid}/children`, 'utf8').trim()
        if (children) tree.push(...children.split(' ').map(Number))
      } catch {
        // The thread ended, or the kernel has no children file.
      }
    }
  }
  return tree
}

/** A reading summed over `pid`'s process tree; null when `pid` itself cannot be read. */
function overTree(pid: number, read: (pid: number) => number | null): number | null {
  const [own, ...below] = processTree(pid).map(read)
  return own === null || own === undefined ? null : below.reduce<number>((sum, value) => sum + (value ?? 0), own)
}

/** cpuSeconds of `pid` and every process below it (a supervisor and its server processes). */
export const treeCpuSeconds = (pid: number) => overTree(pid, cpuSeconds)

/**
 * peakRssBytes summed over `pid`'s process tree: each process's own peak, so an upper bound of the tree's peak when
 * they peak at different moments.
 */
export const treePeakRssBytes = (pid: number) => overTree(pid, peakRssBytes)

/** resetPeakRss for every process of `pid`'s tree; false if any could not be reset. */
export const resetTreePeakRss = (pid: number) => processTree(pid).map(resetPeakRss).every(Boolean)

/** Resident set size now (VmRSS), bytes. */
export const rssBytes = (pid: number) => statusField(pid, 'VmRSS')

/** Peak resident set size (VmHWM), bytes. */
export const peakRssBytes = (pid: number) => statusField(pid, 'VmHWM')

/**
 * Resets VmHWM to the current RSS (writing 5 to clear_refs, Linux ≥ 4.0) so the next peak belongs
 * to one load point. Returns false where that is not allowed; the peak is then since process start.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/** TCP ports `pid` listens on, found by matching its socket fds with /proc/<pid>/net/tcp{,6}. */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>()
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`)
        const match = target.match(/^socket:\[(\d+)\]$/)
        if (match) inodes.add(match[1]!)
      } catch {
        // The fd closed while we looked.
      }
    }
  } catch {
    return []
  }
  const ports = new Set<number>()
  for (const table of ['tcp', 'tcp6']) {
    let text = ''
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      // cols: sl local_address rem_address st ... inode(9); state 0A is LISTEN.
      if (cols.length > 9 && cols[3] === '0A' && inodes.has(cols[9]!)) ports.add(parseInt(cols[1]!.split(':')[1]!, 16))
    }
  }
  return [...ports]
}
