/**
 * The naive baseline: the strongest simple alternative, a careful straight port. One plain Bun.serve
 * handler decodes with one sharp pass to raw RGB (naive-preprocess.ts) and calls session.run for each image
 * on the HTTP thread — no worker threads, no batching, onnxruntime's default session options (sized to its cores
 * when the run is pinned to some of the machine's: sessionOptions). It exists
 * only to be measured against.
 *
 *   bun bench/baselines/naive-server.ts [--port 0]   → prints {"msg":"ready","port":N}
 */
import * as ort from 'onnxruntime-node'
import { readFileSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import { join } from 'node:path'
import { manifest, MODEL_DIR, sessionOptions, toTensor } from './naive-preprocess'

const portFlag = process.argv.indexOf('--port')
const port = portFlag > 0 ? Number(process.argv[portFlag + 1]) : 0
const labels: string[] = JSON.parse(readFileSync(join(MODEL_DIR, manifest.labels), 'utf8'))
const size = manifest.input.width as number
const session = await ort.InferenceSession.create(join(MODEL_DIR, '1/model.onnx'), sessionOptions(availableParallelism(), cpus().length))

async function classify(bytes: Uint8Array) {
  const input = new ort.Tensor('float32', await toTensor(bytes), [1, 3, size, size])
  const output = (await session.run({ [manifest.input.name]: input }))[manifest.output.name]!.data as Float32Array
  const max = Math.max(...output)
  const exp = Array.from(output, (v) => Math.exp(v - max))
  const sum = exp.reduce((a, b) => a + b, 0)
  return exp
    .map((v, i) => ({ label: labels[i]!, class_index: i, score: v / sum }))
    .sort((a, b) => b.score - a.score)
    .slice(0, 5)
}

async function images(request: Request): Promise<Uint8Array[]> {
  if ((request.headers.get('content-type') ?? '').startsWith('application/json')) {
    const body = (await request.json()) as { image?: string; images?: string[] }
    return (body.images ?? [body.image ?? '']).map((b64) => Buffer.from(b64.replace(/^data:[^,]*,/, ''), 'base64'))
  }
  const form = await request.formData()
  return Promise.all(form.getAll('image').map(async (file) => new Uint8Array(await (file as Blob).arrayBuffer())))
}

const server = Bun.serve({
  hostname: '127.0.0.1',
  port,
  maxRequestBodySize: 64 * 1024 * 1024,
  async fetch(request) {
    const path = new URL(request.url).pathname
    if (path === '/health/ready') return Response.json({ status: 'ok' })
    if (path !== '/v1/predict' || request.method !== 'POST') return new Response('not found', { status: 404 })
    try {
      const predictions = []
      for (const bytes of await images(request)) predictions.push(await classify(bytes))
      return Response.json({ model: manifest.name, predictions })
    } catch (error) {
      return Response.json({ error: { message: (error as Error).message } }, { status: 400 })
    }
  }
})
console.log(JSON.stringify({ msg: 'ready', port: server.port }))
