/**
 * CPU per request of each thread of a server under load, and of this process's own in-process equivalent:
 * where the HTTP path costs more than the limit's (issue 13). Not a test: run by hand,
 *
 *   bun bench/micro/thread-cpu.ts [connections = 1] [seconds = 8]
 *
 * Starts `bun src/main.ts` (defaults, port 0), drives it with autocannon (multipart chelsea.jpg, no-store),
 * reads /proc/<pid>/task/* before and after; then runs the same images in process (Preprocessor → Batcher →
 * WorkerPool → top-5, `connections` loops, decodes bounded as the server bounds them) and reads its own threads.
 */
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { toWorkerModel, WorkerPool } from '../../src/inference/pool'
import { softmax, topK } from '../../src/inference/postprocess'
import { sessionThreads } from '../../src/inference/threads'
import { Preprocessor } from '../../src/preprocessing/preprocess'
import { Semaphore } from '../../src/preprocessing/semaphore'
import { launch } from '../../tools/process/launch'
import { cpuSecondsByThread } from '../../tools/process/procfs'
import { defaultModel } from '../lib/default-model'
import { batcherFor } from '../lib/limit-cell'
import { runLoad } from '../lib/load'
import { buildPayload, IMAGES } from '../lib/payloads'

const ROOT = resolve(import.meta.dir, '../..')
const connections = Number(process.argv[2] ?? 1)
const seconds = Number(process.argv[3] ?? 8)

function perImage(before: Record<string, number>, after: Record<string, number>, images: number): string {
  const rows = Object.keys(after)
    .map((name) => [name, ((after[name]! - (before[name] ?? 0)) * 1000) / images] as const)
    .filter(([, ms]) => ms >= 0.01)
    .sort((a, b) => b[1] - a[1])
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0)
  return `${total.toFixed(2)} ms (${rows.map(([name, ms]) => `${name} ${ms.toFixed(2)}`).join(', ')})`
}

const payload = await buildPayload(ROOT, 'jpeg')
const server = await launch({
  cmd: ['bun', 'src/main.ts'],
  env: { BUN_INFER_HOST: '127.0.0.1', BUN_INFER_PORT: '0', BUN_INFER_LOG_LEVEL: 'warn' },
  cwd: ROOT
})
try {
  const spec = { url: server.url, payload, connections, label: 'thread-cpu', quiet: true }
  await runLoad({ ...spec, durationS: 2 })
  const before = cpuSecondsByThread(server.pid)
  const { result } = await runLoad({ ...spec, durationS: seconds })
  const after = cpuSecondsByThread(server.pid)
  console.log(
    `server, ${connections} conn: ${(result['2xx'] / seconds).toFixed(1)} req/s, CPU per request ${perImage(before, after, result['2xx'])}`
  )
} finally {
  await server.stop()
}

const { config, model } = defaultModel()
const preprocessor = new Preprocessor(model, config)
const pool = new WorkerPool({ size: config.workers, ...sessionThreads(config), models: [toWorkerModel(model)] })
const batcher = batcherFor(pool, model, model)
const decodes = new Semaphore(config.maxConcurrentDecodes || availableParallelism())
const jpeg = await Bun.file(resolve(ROOT, IMAGES.jpeg.path)).bytes()
try {
  await pool.start()
  let done = 0
  let stop = false
  const loop = async () => {
    while (!stop) {
      const [r] = await batcher.submit(model.key, [await decodes.run(() => preprocessor.run(jpeg))])
      topK(softmax(r!.scores), 5, model.labels)
      done++
    }
  }
  const loops = Array.from({ length: connections }, loop)
  await Bun.sleep(2000)
  const before = cpuSecondsByThread(process.pid)
  const first = done
  await Bun.sleep(seconds * 1000)
  const after = cpuSecondsByThread(process.pid)
  const images = done - first
  stop = true
  await Promise.all(loops)
  console.log(`in process, ${connections} loops: ${(images / seconds).toFixed(1)} img/s, CPU per image ${perImage(before, after, images)}`)
} finally {
  await pool.close()
}
