import { afterAll, describe, expect, test } from 'bun:test'
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cacheKey, cacheKeyFor, modelFileDigest, sharedKeyPrefix } from '../../src/cache'
import { discoverModels } from '../../src/models/catalog'
import { MODELS_DIR, tempModelRepo } from '../../tools/model-repo'

const bytes = new TextEncoder().encode('not really a jpeg')

describe('cacheKey', () => {
  test('is stable for the same inputs', () => {
    expect(cacheKey(bytes, 'resnet50', '1', 5)).toBe(cacheKey(bytes.slice(), 'resnet50', '1', 5))
  })

  test('differs by model, version, top_k and every byte of the image', () => {
    const base = cacheKey(bytes, 'resnet50', '1', 5)
    const flipped = bytes.slice()
    flipped[flipped.length - 1]! ^= 1
    const variants = [
      cacheKey(bytes, 'mobilenet', '1', 5),
      cacheKey(bytes, 'resnet50', '2', 5),
      cacheKey(bytes, 'resnet50', '1', 3),
      cacheKey(flipped, 'resnet50', '1', 5),
      cacheKey(bytes.subarray(0, bytes.length - 1), 'resnet50', '1', 5)
    ]
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1)
  })

  test('a separator inside a name cannot make two different tuples one key', () => {
    expect(cacheKey(bytes, 'a/b', 'c', 1)).not.toBe(cacheKey(bytes, 'a', 'b/c', 1))
    expect(cacheKey(bytes, 'a/k1', '1', 1)).not.toBe(cacheKey(bytes, 'a', 'k1/1', 1))
  })

  test('ends with the SHA-256 of the bytes and never contains the bytes themselves', () => {
    const empty = cacheKey(new Uint8Array(0), 'm', 'v', 1)
    expect(empty).toBe('m/v/k1/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(cacheKey(bytes, 'm', 'v', 1)).not.toContain('jpeg')
  })

  test('rejects a top_k that is not a positive integer', () => {
    for (const k of [0, -1, 1.5, Number.NaN]) expect(() => cacheKey(bytes, 'm', 'v', k)).toThrow(RangeError)
  })
})

describe('cacheKeyFor: the model file is part of the key', () => {
  const build = (modelDigest: string) => ({ name: 'mobilenetv2', version: 1, modelDigest })
  const first = build('a'.repeat(64))
  const second = build('b'.repeat(64))

  test('two builds of one name:version never share a key; one build always gives the same key', () => {
    expect(cacheKeyFor(bytes, first, 5)).not.toBe(cacheKeyFor(bytes, second, 5))
    expect(cacheKeyFor(bytes, first, 5)).toBe(cacheKeyFor(bytes.slice(), { ...first }, 5))
  })

  test('raw and softmaxed scores are different keys', () => {
    expect(cacheKeyFor(bytes, first, 5, true)).not.toBe(cacheKeyFor(bytes, first, 5))
  })

  test('a digest that is not 64 hex digits is refused rather than keyed on', () => {
    for (const digest of ['', 'abc', 'A'.repeat(64), `${'a'.repeat(63)}/`])
      expect(() => cacheKeyFor(bytes, build(digest), 5)).toThrow(RangeError)
  })
})

describe('two registries with the same name:version and different model bytes', () => {
  const repos: Array<{ dispose: () => void }> = []
  afterAll(() => {
    for (const repo of repos) repo.dispose()
  })

  test('get different digests and so different keys; the same bytes get the same key', () => {
    const onnx = (dir: string) => join(dir, 'mobilenetv2', '1', 'model.onnx')
    const same = tempModelRepo()
    const rebuilt = tempModelRepo((dir) => appendFileSync(onnx(dir), new Uint8Array([0])))
    repos.push(same, rebuilt)
    const overrides = { maxBatchSize: 0, maxBatchDelayMs: -1 }
    const [a, b, c] = [MODELS_DIR, same.dir, rebuilt.dir].map((dir) => discoverModels(dir, overrides).resolve('mobilenetv2', '1'))
    expect(a!.modelDigest).toBe(new Bun.CryptoHasher('sha256').update(readFileSync(onnx(MODELS_DIR))).digest('hex'))
    expect(b!.modelDigest).toBe(a!.modelDigest)
    expect(c!.modelDigest).not.toBe(a!.modelDigest)
    expect(cacheKeyFor(bytes, b!, 5)).toBe(cacheKeyFor(bytes, a!, 5))
    expect(cacheKeyFor(bytes, c!, 5)).not.toBe(cacheKeyFor(bytes, a!, 5))
  })

  test('the digest is of the whole file, read in chunks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-infer-digest-'))
    repos.push({ dispose: () => rmSync(dir, { recursive: true, force: true }) })
    const file = join(dir, 'model.onnx')
    const content = new Uint8Array(3 * 1024 * 1024 + 7).map((_, i) => (i * 31) & 255)
    writeFileSync(file, content)
    expect(modelFileDigest(file)).toBe(new Bun.CryptoHasher('sha256').update(content).digest('hex'))
  })
})

describe('sharedKeyPrefix: one namespace per deployment', () => {
  test('two namespaces never share a Redis key', () => {
    const keys = ['staging', 'production', 'prod', 'prod.eu', 'prod-eu'].map((ns) => sharedKeyPrefix(ns) + cacheKey(bytes, 'm', '1', 1))
    expect(new Set(keys).size).toBe(keys.length)
    expect(sharedKeyPrefix('bun-infer')).toBe('bun-infer:result:')
  })

  test("a namespace that could spell another one's prefix is refused", () => {
    for (const ns of ['', 'a:result', 'a b', '-x', 'a/b', 'x'.repeat(65)]) expect(() => sharedKeyPrefix(ns)).toThrow(RangeError)
  })
})
