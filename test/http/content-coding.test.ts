import { describe, expect, test } from 'bun:test'
import { deflateSync, gzipSync } from 'node:zlib'
import { ByteBudget } from '../../src/http/byte-budget'
import { decodeBody } from '../../src/http/content-coding'

const MB = 1024 * 1024

describe('decodeBody: decompression stops at the limit while it streams', () => {
  for (const [coding, compress] of [
    ['gzip', gzipSync],
    ['deflate', deflateSync]
  ] as const)
    test(`${coding}: 64 MB of zeros under a 1 MB limit is 413, and is never held whole`, async () => {
      // About 64 KB on the wire. Had it been inflated whole before the count, the process would hold 64 MB of it.
      const bomb = compress(new Uint8Array(64 * MB))
      const budget = new ByteBudget(8 * MB)
      const reservation = budget.reserve(0)!
      Bun.gc(true)
      const before = process.memoryUsage().rss
      const error = await decodeBody(bomb, coding, MB, undefined, reservation).catch((e: unknown) => e)
      const grown = process.memoryUsage().rss - before
      expect(error).toMatchObject({ status: 413, code: 'payload_too_large' })
      // What came out was taken from the body budget chunk by chunk, and no more than the limit of it.
      expect(reservation.bytes).toBeLessThanOrEqual(MB)
      expect(grown).toBeLessThan(32 * MB)
    })

  test('a body within the limit comes out whole, taken from the budget', async () => {
    const plain = new Uint8Array(3 * MB).map((_, i) => i % 251)
    const reservation = new ByteBudget(8 * MB).reserve(0)!
    const out = await decodeBody(gzipSync(plain), 'gzip', 4 * MB, undefined, reservation)
    expect(Buffer.from(out).equals(Buffer.from(plain))).toBe(true)
    expect(reservation.bytes).toBe(plain.length)
  })
})
