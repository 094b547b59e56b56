/**
 * Measurement behind the cache key's hash (see src/cache/key.ts). Not a test: run by hand,
 *
 *   bun bench/micro/key-hash.ts
 *
 * Prints µs per hash for the fixture JPEG and a 2 MB buffer, and the cost of a whole local hit
 * (key + get) on the fixture, the path that must stay well under the 1 ms budget for a cached answer.
 */
import { join } from 'node:path'
import { cacheKey, ResultCache } from '../../src/cache'

const jpeg = new Uint8Array(await Bun.file(join(import.meta.dir, '../../test/fixtures/images/chelsea.jpg')).arrayBuffer())
const twoMb = new Uint8Array(2_000_000).map((_, i) => (i * 31) & 255)

function usPer(fn: () => unknown, n = 2000): number {
  for (let i = 0; i < 200; i++) fn()
  const start = performance.now()
  for (let i = 0; i < n; i++) fn()
  return ((performance.now() - start) * 1000) / n
}

for (const [name, buf] of [
  [`jpeg ${jpeg.length} B`, jpeg],
  ['2 MB', twoMb]
] as const) {
  const rows = {
    'Bun.hash (wyhash 64)': () => Bun.hash(buf),
    xxHash3: () => Bun.hash.xxHash3(buf),
    xxHash64: () => Bun.hash.xxHash64(buf),
    sha256: () => new Bun.CryptoHasher('sha256').update(buf).digest('hex'),
    blake2b256: () => new Bun.CryptoHasher('blake2b256').update(buf).digest('hex')
  }
  for (const [algo, fn] of Object.entries(rows)) {
    const us = usPer(fn)
    console.log(`${name.padEnd(14)} ${algo.padEnd(22)} ${us.toFixed(1).padStart(8)} µs  ${(buf.length / us / 1000).toFixed(2)} GB/s`)
  }
}

const cache = new ResultCache({ maxEntries: 10_000, maxBytes: 10_000_000, ttlMs: 60_000 })
const value = {
  predictions: Array.from({ length: 5 }, (_, i) => ({ label: `label ${i}`, class_index: i, score: 0.1 })),
  model_version: '1'
}
cache.set(cacheKey(jpeg, 'resnet50', '1', 5), value)
let sink = 0
const n = 20_000
const start = performance.now()
for (let i = 0; i < n; i++) sink += (await cache.get(cacheKey(jpeg, 'resnet50', '1', 5)))!.predictions.length
console.log(`local hit (key + get) on the jpeg: ${(((performance.now() - start) * 1000) / n).toFixed(1)} µs (${sink / n} predictions)`)
await cache.close()
