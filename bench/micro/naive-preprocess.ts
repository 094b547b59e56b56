/**
 * CPU per image of the naive baseline's preprocessing, before and after issue 13. Not a test: run by hand,
 *
 *   bun bench/micro/naive-preprocess.ts [runs=200]
 *
 * sharp on one thread, chelsea.jpg, the variants interleaved in blocks of 20 so a neighbour's burst
 * hits both. "before" is the old baseline's code (kept here only to be measured): resize, encode to JPEG,
 * decode again to crop. "after" is bench/baselines/naive-preprocess.ts; the server's Preprocessor (which reads a JPEG's
 * header in JavaScript and decodes with sequential access) runs beside them. Also checks that "after" gives the
 * server's preprocessing byte for byte.
 */
import sharp from 'sharp'
import { join } from 'node:path'
import { Preprocessor } from '../../src/preprocessing/preprocess'
import { manifest, toRgb, toTensor } from '../baselines/naive-preprocess'
import { defaultModel } from '../lib/default-model'

const runs = Number(process.argv[2] ?? 200)
const bytes = await Bun.file(join(import.meta.dir, '../../test/fixtures/images/chelsea.jpg')).bytes()
const size = manifest.input.width as number
const { mean, std, resizeShorterSide } = manifest.preprocessing as { mean: number[]; std: number[]; resizeShorterSide: number }
sharp.concurrency(1)

/** The baseline as it was before issue 13: two sharp passes with a JPEG encode between them. */
async function beforeRgb(input: Uint8Array): Promise<Buffer> {
  const resized = await sharp(input)
    .rotate()
    .removeAlpha()
    .resize(resizeShorterSide, resizeShorterSide, { fit: 'outside' })
    .toBuffer({ resolveWithObject: true })
  const { width, height } = resized.info
  return sharp(resized.data)
    .extract({ left: Math.floor((width - size) / 2), top: Math.floor((height - size) / 2), width: size, height: size })
    .raw()
    .toBuffer()
}
async function beforeTensor(input: Uint8Array): Promise<Float32Array> {
  const pixels = await beforeRgb(input)
  const out = new Float32Array(3 * size * size)
  for (let i = 0; i < size * size; i++)
    for (let c = 0; c < 3; c++) out[c * size * size + i] = (pixels[i * 3 + c]! / 255 - mean[c]!) / std[c]!
  return out
}

const { config, model } = defaultModel()
const preprocessor = new Preprocessor(model, config)

const variants = {
  'before: sharp only': beforeRgb,
  'after: sharp only': toRgb,
  "server's Preprocessor": (input: Uint8Array) => preprocessor.run(input),
  'before: + normalise': beforeTensor,
  'after: + normalise': toTensor
}
const cpuMs: Record<string, number> = Object.fromEntries(Object.keys(variants).map((k) => [k, 0]))
const wallMs: Record<string, number> = Object.fromEntries(Object.keys(variants).map((k) => [k, 0]))
for (const fn of Object.values(variants)) for (let i = 0; i < 20; i++) await fn(bytes) // warm-up
for (let block = 0; block < runs / 20; block++)
  for (const [name, fn] of Object.entries(variants)) {
    const start = process.cpuUsage()
    const started = performance.now()
    for (let i = 0; i < 20; i++) await fn(bytes)
    wallMs[name]! += performance.now() - started
    const used = process.cpuUsage(start)
    cpuMs[name]! += (used.user + used.system) / 1000
  }
for (const [name, ms] of Object.entries(cpuMs))
  console.log(`${name.padEnd(22)} ${(ms / runs).toFixed(2)} CPU ms/img, ${(wallMs[name]! / runs).toFixed(2)} ms/img`)

const ours = await preprocessor.run(bytes)
const theirs = await toRgb(bytes)
let differ = 0
for (let i = 0; i < ours.length; i++) if (ours[i] !== theirs[i]) differ++
console.log(`after vs the server's Preprocessor: ${differ} of ${ours.length} bytes differ`)
