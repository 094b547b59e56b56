import type { BunFile } from 'bun'

/** Bytes read from disk at a time: the most of an upload held in memory while it is indexed. */
const CHUNK_BYTES = 1 << 20

/**
 * Reads a region of a file forward, one chunk at a time, to find delimiters in an upload that is never held whole
 * in memory: it keeps only the unread rest of the current chunk (and a pattern's length of the one before).
 */
export class FileScanner {
  private buffer = Buffer.alloc(0)
  /** Where buffer[0] is in the file. */
  private bufferStart: number
  /** Where the next chunk starts. */
  private readEnd: number

  constructor(
    private readonly file: BunFile,
    start: number,
    private readonly end: number,
    private readonly chunkBytes = CHUNK_BYTES
  ) {
    this.bufferStart = start
    this.readEnd = start
  }

  /** Offset in the file of the first `pattern` at or after `from` (which only moves forward), or -1 when none before the end. */
  async indexOf(pattern: Uint8Array, from: number): Promise<number> {
    if (from < this.bufferStart) throw new Error(`FileScanner moves forward only: ${from} < ${this.bufferStart}`)
    for (;;) {
      const at = this.buffer.indexOf(pattern, Math.max(0, from - this.bufferStart))
      if (at >= 0) return this.bufferStart + at
      if (this.readEnd >= this.end) return -1
      // Keep what a match starting in this chunk and ending in the next would need, and nothing before `from`.
      const keepFrom = Math.max(from, this.readEnd - (pattern.length - 1), this.bufferStart)
      const chunk = await this.file.slice(this.readEnd, Math.min(this.end, this.readEnd + this.chunkBytes)).bytes()
      if (chunk.length === 0) throw new Error(`the file ended at ${this.readEnd}, before ${this.end}`)
      this.buffer = Buffer.concat([this.buffer.subarray(keepFrom - this.bufferStart), chunk])
      this.bufferStart = keepFrom
      this.readEnd += chunk.length
    }
  }

  /** Bytes [from, from + length) of the file (small reads: part headers, field values), cut at the region's end. */
  async bytes(from: number, length: number): Promise<Buffer> {
    return Buffer.from(await this.file.slice(from, Math.min(this.end, from + length)).bytes())
  }
}
