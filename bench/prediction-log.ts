/**
 * What the prediction log costs per answered image, in process (no HTTP, no model): the image's SHA-256, the
 * record, the buffer, and the SQLite write in batches, as the server does them. CPU time per image, log on
 * against the same loop with the log off (only the label metrics).
 *
 *   bun bench/prediction-log.ts [--images 20000] [--rounds 3]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { softmax, topK } from '../src/inference/postprocess'
import { discoverModels } from '../src/models/catalog'
import { recordsOf } from '../src/prediction-log/answers'
import { PredictionLog } from '../src/prediction-log/log'
import { SqliteStore } from '../src/prediction-log/sqlite-store'
import { MODELS_DIR } from '../tools/model-repo'

const { values } = parseArgs({ options: { images: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' } } })
const images = Number(values.images)
const model = discoverModels(MODELS_DIR, { maxBatchSize: 0, maxBatchDelayMs: -1 }).resolve('mobilenetv2')
const photo = new Uint8Array(await Bun.file(join(import.meta.dir, '../test/fixtures/images/chelsea.jpg')).arrayBuffer())
const scores = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 4)
const top = topK(softmax(scores), 5, model.labels)
const origin = { requestId: '00000000-0000-0000-0000-000000000000', client: 'ip:127.0.0.1', api: 'v1' as const }
const timings = { preprocessMs: 5, queueMs: 1, inferenceMs: 8 }

/** CPU ms per image for `images` answered images, each one request (the server's worst case: no shared record work). */
async function cpuPerImage(log: PredictionLog | undefined): Promise<number> {
  const started = process.cpuUsage()
  for (let i = 0; i < images; i++) {
    if (log) {
      const sha = new Bun.CryptoHasher('sha256').update(photo).digest('hex')
      for (const record of recordsOf(model, origin, [{ top, batchSize: 1, cached: false, imageSha256: sha }], timings, 14)) log.add(record)
    }
    // The server answers ~150 images/s on 2 cores: let the log's timer and immediates run as they would between requests.
    if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve))
  }
  await log?.flush()
  const used = process.cpuUsage(started)
  return (used.user + used.system) / 1000 / images
}

const dir = mkdtempSync(join(tmpdir(), 'prediction-log-bench-'))
try {
  for (let round = 1; round <= Number(values.rounds); round++) {
    const log = new PredictionLog(new SqliteStore(join(dir, `round-${round}.sqlite`)), {
      maxBufferedRecords: 20_000,
      maxAgeMs: 86_400_000,
      maxRecords: 1_000_000
    })
    const off = await cpuPerImage(undefined)
    const on = await cpuPerImage(log)
    await log.close()
    console.log(
      `round ${round}: ${images} images, CPU per image log off ${(off * 1000).toFixed(1)} µs, on ${(on * 1000).toFixed(1)} µs, added ${((on - off) * 1000).toFixed(1)} µs`
    )
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
