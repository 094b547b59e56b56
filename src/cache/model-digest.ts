import { closeSync, openSync, readSync } from 'node:fs'

/** Bytes read at a time: large enough to hash at full speed, small enough that a big model never sits in memory whole. */
const CHUNK_BYTES = 1 << 20

/**
 * SHA-256 (hex) of a model file, computed once when the model is loaded, so a cache key can name the exact
 * graph that produced an answer. Read in chunks: model files can be far larger than anything else we hold.
 */
export function modelFileDigest(path: string): string {
  const hasher = new Bun.CryptoHasher('sha256')
  const chunk = new Uint8Array(CHUNK_BYTES)
  const fd = openSync(path, 'r')
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) hasher.update(chunk.subarray(0, n))
  } finally {
    closeSync(fd)
  }
  return hasher.digest('hex')
}
