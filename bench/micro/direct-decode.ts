/**
 * A lone JPEG's decode two ways, on the thread that asks (issue 13): the Preprocessor (sharp: a trip to libuv's pool
 * and libvips' worker thread and back) against vips-direct (the same libvips operations through bun:ffi, pixels
 * computed on the calling thread). Not a test: run by hand,
 *
 *   bun bench/micro/direct-decode.ts [rounds = 4] [block = 60] [gap ms = 0]
 *
 * The two take turns in blocks; each block's p50 and p90 are printed, and the medians over rounds at the end.
 * `gap` sleeps before each image (a lone request arriving after the threads went idle).
 */
import { join } from 'node:path'
import { resizeAndCropBox } from '../../src/preprocessing/crop-box'
import { readJpegHeader } from '../../src/preprocessing/jpeg-header'
import { Preprocessor } from '../../src/preprocessing/preprocess'
import { decodeJpegCrop } from '../../src/preprocessing/vips-direct'
import { defaultModel } from '../lib/default-model'
import { IMAGES } from '../lib/payloads'
import { summarise } from '../lib/stats'

const ROOT = join(import.meta.dir, '../..')
const rounds = Number(process.argv[2] ?? 4)
const block = Number(process.argv[3] ?? 60)
const gapMs = Number(process.argv[4] ?? 0)
const { config, model } = defaultModel()
const { input, preprocessing } = model.manifest
const bytes = await Bun.file(join(ROOT, IMAGES.jpeg.path)).bytes()
const header = readJpegHeader(bytes)!
const box = resizeAndCropBox(header.width, header.height, preprocessing.resizeShorterSide, input.width, input.height)
const preprocessor = new Preprocessor(model, config)
const into = new Uint8Array(model.inputElements)
const spec = { kernel: preprocessing.kernel, width: input.width, height: input.height }

const ways: Record<string, () => Promise<unknown> | unknown> = {
  sharp: () => preprocessor.run(bytes),
  direct: () => decodeJpegCrop(bytes, header.width, header.height, box, spec, into)
}
const p50s: Record<string, number[]> = { sharp: [], direct: [] }
for (let r = 0; r < rounds; r++)
  for (const [name, decode] of r % 2 ? Object.entries(ways).reverse() : Object.entries(ways)) {
    const ms: number[] = []
    for (let i = 0; i < block; i++) {
      if (gapMs > 0) await Bun.sleep(gapMs)
      const started = performance.now()
      await decode()
      ms.push(performance.now() - started)
    }
    const s = summarise(ms)
    p50s[name]!.push(s.p50)
    console.log(`round ${r + 1} ${name.padEnd(6)} p50 ${s.p50.toFixed(2)} ms, p90 ${s.p90.toFixed(2)} ms`)
  }
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
console.log(`medians of ${rounds} rounds: sharp ${median(p50s.sharp!).toFixed(2)} ms, direct ${median(p50s.direct!).toFixed(2)} ms`)
