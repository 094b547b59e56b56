/**
 * Memory per part, for sizing a container. Not a test: run by hand,
 *
 *   bun bench/micro/memory-parts.ts
 *
 * Starts the real server several times, one setting changed at a time (workers 1 or 2, one model or all the
 * shipped ones, with their instance counts), and reads its RSS once ready and again after a warm-up (40 requests
 * per model, 8 at a time, so onnxruntime's arenas have grown to batches of 8). Then, with 1 worker, it fills the
 * queue: 64 requests of 4 small photos at once (256 images, the default queue bound), and reports the peak RSS
 * over warm.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launch, ROOT, type ServerProcess } from '../../tools/process/launch'
import { buildPayload } from '../lib/payloads'
import { rssMb, sampleRss, send } from '../reliability/common'
import { round } from '../lib/stats'

const oneModel = mkdtempSync(join(tmpdir(), 'bun-infer-one-model-'))
symlinkSync(join(ROOT, 'models/mobilenetv2'), join(oneModel, 'mobilenetv2'))
const photo = await buildPayload(ROOT, 'jpeg')
const four = await buildPayload(ROOT, 'multi4')

async function warm(server: ServerProcess, models: string[]): Promise<void> {
  for (const model of models)
    for (let i = 0; i < 5; i++)
      await Promise.all(Array.from({ length: 8 }, () => send(server.url, photo, { path: `/v1/models/${model}/predict` })))
}

async function measure(label: string, env: Record<string, string>, models: string[]): Promise<{ ready: number; warm: number }> {
  const server = await launch({ env: { BUN_INFER_LOG_LEVEL: 'warn', ...env } })
  try {
    const ready = rssMb(server.pid)
    await warm(server, models)
    const warmMb = rssMb(server.pid)
    console.log(`${label.padEnd(34)} ready ${round(ready)} MB, warm ${round(warmMb)} MB`)
    return { ready, warm: warmMb }
  } finally {
    await server.stop()
  }
}

try {
  const one = { BUN_INFER_MODELS_DIR: oneModel }
  const w1m1 = await measure('1 worker, mobilenetv2 only', { ...one, BUN_INFER_WORKERS: '1' }, ['mobilenetv2'])
  const w2m1 = await measure('2 workers, mobilenetv2 only', { ...one, BUN_INFER_WORKERS: '2' }, ['mobilenetv2'])
  const all = ['mobilenetv2', 'mobilenetv2-uint8-nhwc', 'shufflenetv2']
  const w1m2 = await measure('1 worker, all models', { BUN_INFER_WORKERS: '1' }, all)
  const w2m2 = await measure('2 workers, all models (default)', { BUN_INFER_WORKERS: '2' }, all)
  console.log(
    `per worker (one session of mobilenetv2): ready +${round(w2m1.ready - w1m1.ready)} MB, warm +${round(w2m1.warm - w1m1.warm)} MB`
  )
  console.log(`the two other models (1 worker): ready +${round(w1m2.ready - w1m1.ready)} MB, warm +${round(w1m2.warm - w1m1.warm)} MB`)
  console.log(`defaults (2 workers, all models) vs 1 worker × mobilenetv2: warm +${round(w2m2.warm - w1m1.warm)} MB`)

  const server = await launch({ env: { BUN_INFER_LOG_LEVEL: 'warn', BUN_INFER_WORKERS: '1' } })
  try {
    await warm(server, ['mobilenetv2'])
    const warmMb = rssMb(server.pid)
    const rss = sampleRss(server.pid, 20)
    const outcomes = await Promise.all(Array.from({ length: 64 }, () => send(server.url, four)))
    rss.stop()
    const peak = Math.max(...rss.samples.map((s) => s.mb))
    const ok = outcomes.filter((o) => o.status === 200).length
    console.log(
      `queue of up to 256 images (64 × 4, 1 worker): ${ok} of 64 answered 200; peak +${round(peak - warmMb)} MB over warm ${round(warmMb)} MB = ${round(((peak - warmMb) * 1024) / 256)} KB per queued image`
    )
  } finally {
    await server.stop()
  }
} finally {
  rmSync(oneModel, { recursive: true, force: true })
}
