/**
 * What holds memory after a burst, and what gives it back. Not a test: run by hand,
 *
 *   bun bench/micro/rss-after-burst.ts [--uploads 32] [--upload-mb 15] [--photos 64]
 *
 * Starts the real server in a child process (its own heap, as in production) that answers IPC
 * commands, warms it up, sends a burst (large filler uploads, multipart and base64, then camera photos
 * as base64, the decode-heavy path), waits 3 s, and then applies one remedy at a time, printing RSS
 * and the JS heap after each: nothing (3 s more), a full GC (Bun.gc(true)), sharp's cache off, and
 * glibc's malloc_trim (libvips allocates with glibc malloc, not Bun's mimalloc).
 */
import { dlopen, FFIType } from 'bun:ffi'
import { heapStats } from 'bun:jsc'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'

const ROOT = join(import.meta.dir, '../..')

interface Snapshot {
  rssMb: number
  heapMb: number
  extraMb: number
  arrayBuffersMb: number
  sharpCacheMb: number
}

const mb = (bytes: number) => Math.round(bytes / 1e5) / 10

function snapshot(): Snapshot {
  const heap = heapStats()
  return {
    rssMb: mb(Number(readFileSync('/proc/self/status', 'utf8').match(/^VmRSS:\s+(\d+) kB/m)![1]) * 1024),
    heapMb: mb(heap.heapSize),
    extraMb: mb(heap.extraMemorySize),
    arrayBuffersMb: mb(process.memoryUsage().arrayBuffers),
    sharpCacheMb: sharp.cache().memory.current
  }
}

/** The child: the real server, plus IPC commands that apply one remedy and answer with a snapshot. */
async function serve(): Promise<void> {
  const { loadConfig } = await import('../../src/config/load')
  const { createLogger } = await import('../../src/log')
  const { startServer } = await import('../../src/server')
  const server = await startServer(
    loadConfig({ ...process.env, BUN_INFER_CACHE_MAX_ENTRIES: '0' }, ['--host', '127.0.0.1', '--port', '0']),
    createLogger('warn')
  )
  const trim = () => dlopen('libc.so.6', { malloc_trim: { args: [FFIType.u64], returns: FFIType.i32 } }).symbols.malloc_trim(0)
  const remedies: Record<string, () => unknown> = {
    none: () => {},
    gc: () => Bun.gc(true),
    'sharp-cache-off': () => sharp.cache(false),
    'malloc-trim': trim
  }
  process.on('message', (command: string) => {
    const started = performance.now()
    remedies[command]!()
    process.send!({ command, ms: Math.round((performance.now() - started) * 10) / 10, ...snapshot() })
  })
  process.send!({ port: server.port })
}

/** The parent: load generator and report. */
async function measure(): Promise<void> {
  const argv = process.argv.slice(2)
  const flag = (name: string, d: number) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : d)
  const answers: ((value: Record<string, number | string>) => void)[] = []
  const child = Bun.spawn([process.execPath, import.meta.path, '--serve'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    ipc: (message) => answers.shift()?.(message)
  })
  const ask = (command?: string) =>
    new Promise<Record<string, number | string>>((resolve) => {
      answers.push(resolve)
      if (command) child.send(command)
    })
  try {
    const { port } = await ask()
    const url = `http://127.0.0.1:${port}/v1/predict`
    const photo = await Bun.file(join(ROOT, 'bench/fixtures/shell-5120x2880.jpg')).bytes()
    const cat = await Bun.file(join(ROOT, 'test/fixtures/images/chelsea.jpg')).bytes()
    const post = (body: string, type: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': type, 'cache-control': 'no-store' }, body }).then(
        (r) => r.status,
        () => 0
      )
    const multipart = (bytes: Uint8Array) => {
      const form = new FormData()
      form.append('image', new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }), 'x.jpg')
      return form
    }
    const b64 = (bytes: Uint8Array) => JSON.stringify({ image: Buffer.from(bytes).toString('base64') })
    for (let i = 0; i < 20; i++) await fetch(url, { method: 'POST', body: multipart(cat), headers: { 'cache-control': 'no-store' } })
    const rows: Record<string, number | string>[] = [{ ...(await ask('none')), command: 'warm (20 small photos)' }]

    const filler = new Uint8Array(flag('upload-mb', 15) * 1e6).fill(0x41)
    filler.set([0xff, 0xd8, 0xff, 0xe0])
    const fillerB64 = b64(filler.subarray(0, Math.floor(filler.length * 0.75)))
    const statuses: number[] = []
    statuses.push(
      ...(await Promise.all(
        Array.from({ length: flag('uploads', 32) }, (_, i) =>
          i % 2
            ? post(fillerB64, 'application/json')
            : fetch(url, { method: 'POST', body: multipart(filler) }).then(
                (r) => r.status,
                () => 0
              )
        )
      ))
    )
    const photoB64 = b64(photo)
    for (let done = 0; done < flag('photos', 64); done += 16)
      statuses.push(...(await Promise.all(Array.from({ length: 16 }, () => post(photoB64, 'application/json')))))
    const counts: Record<number, number> = {}
    for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1
    await Bun.sleep(3000)
    rows.push({ ...(await ask('none')), command: `3 s after the burst (statuses ${JSON.stringify(counts)})` })
    await Bun.sleep(3000)
    rows.push({ ...(await ask('none')), command: '6 s after, nothing done' })
    for (const remedy of ['gc', 'sharp-cache-off', 'malloc-trim']) rows.push({ ...(await ask(remedy)), command: `then ${remedy}` })
    console.table(rows)
  } finally {
    child.kill()
    await child.exited
  }
}

if (process.argv.includes('--serve')) await serve()
else await measure()
