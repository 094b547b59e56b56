/**
 * The naive baseline: what a straight port of a FastAPI tutorial looks like. One plain Bun.serve
 * handler decodes with sharp and calls session.run for each image on the HTTP thread — no worker
 * threads, no batching, onnxruntime's default session options. It exists only to be measured against.
 *
 *   bun bench/baselines/naive-server.ts [--port 0]   → prints {"msg":"ready","port":N}
 */
import * as ort from 'onnxruntime-node'
import sharp from 'sharp'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const portFlag = process.argv.indexOf('--port')
const port = portFlag > 0 ? Number(process.argv[portFlag + 1]) : 0
const dir = join(import.meta.dir, '../../models/mobilenetv2')
const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
const labels: string[] = JSON.parse(readFileSync(join(dir, manifest.labels), 'utf8'))
const { mean, std, resizeShorterSide } = manifest.preprocessing as { mean: number[]; std: number[]; resizeShorterSide: number }
const size = manifest.input.width as number
const session = await ort.InferenceSession.create(join(dir, '1/model.onnx'))

/** Resize the shorter side, centre-crop, normalise to CHW float32 (the tutorial's torchvision transforms). */
async function preprocess(bytes: Uint8Array): Promise<Float32Array> {
  const resized = await sharp(bytes).rotate().removeAlpha().resize(resizeShorterSide, resizeShorterSide, { fit: 'outside' }).toBuffer({ resolveWithObject: true })
  const { width, height } = resized.info
  const pixels = await sharp(resized.data)
    .extract({ left: Math.floor((width - size) / 2), top: Math.floor((height - size) / 2), width: size, height: size })
    .raw()
    .toBuffer()
  const out = new Float32Array(3 * size * size)
  for (let i = 0; i < size * size; i++)
    for (let c = 0; c < 3; c++) out[c * size * size + i] = (pixels[i * 3 + c]! / 255 - mean[c]!) / std[c]!
  return out
}

async function classify(bytes: Uint8Array) {
  const input = new ort.Tensor('float32', await preprocess(bytes), [1, 3, size, size])
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
