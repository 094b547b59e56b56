import type { BunFile } from 'bun'
import { AppError } from '../errors'

/** One file of an upload: where its bytes are in the spool file. */
export interface SpooledImage {
  name: string
  offset: number
  length: number
}

const BLOCK = 512
/** Largest PAX header or GNU long name read, bytes: they only hold a path. */
const MAX_META_BYTES = 64 * 1024

const malformed = (why: string) => new AppError('malformed_request', `the tar archive is malformed: ${why}`)

/** A NUL-terminated string field of a header. */
const field = (header: Uint8Array, start: number, length: number) => {
  const bytes = header.subarray(start, start + length)
  const end = bytes.indexOf(0)
  return new TextDecoder().decode(end === -1 ? bytes : bytes.subarray(0, end))
}

/** A numeric field: octal text, or GNU's base-256 (high bit set) for sizes of 8 GiB and more. */
function numeric(header: Uint8Array, start: number, length: number): number {
  if ((header[start]! & 0x80) !== 0) {
    let value = header[start]! & 0x7f
    for (let i = start + 1; i < start + length; i++) value = value * 256 + header[i]!
    return value
  }
  const text = field(header, start, length).trim()
  if (!/^[0-7]*$/.test(text)) throw malformed('a header number is not octal')
  return text === '' ? 0 : Number.parseInt(text, 8)
}

/** The header checksum: its bytes summed with the checksum field read as spaces (POSIX ustar). */
function checksumHolds(header: Uint8Array): boolean {
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!
  return sum === numeric(header, 148, 8)
}

/** The `path` of a PAX extended header ("<length> path=<value>\n" records). */
function paxPath(records: string): string | undefined {
  for (const line of records.split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(line)
    if (match) return match[1]
  }
  return undefined
}

/**
 * The regular files of the tar archive in [start, end) of `file`, in archive order, read one 512-byte header at a
 * time (never the file data). Understands ustar, PAX `path` records and GNU long names; directories, links and
 * other entries are skipped. A bad checksum, a number that is not octal or a file running past the end is refused
 * as malformed_request; more than `maxImages` files as too_many_images.
 */
export async function tarImages(file: BunFile, start: number, end: number, maxImages: number): Promise<SpooledImage[]> {
  const images: SpooledImage[] = []
  let offset = start
  let longName: string | undefined
  while (offset + BLOCK <= end) {
    const header = await file.slice(offset, offset + BLOCK).bytes()
    if (header.every((byte) => byte === 0)) break // end-of-archive blocks
    if (!checksumHolds(header)) throw malformed(`no valid header at byte ${offset - start}`)
    const size = numeric(header, 124, 12)
    const dataStart = offset + BLOCK
    if (dataStart + size > end) throw malformed('a file runs past the end of the archive')
    const type = String.fromCharCode(header[156]!)
    const readMeta = async () => {
      if (size > MAX_META_BYTES) throw malformed('an extended header is too large')
      return new TextDecoder().decode(await file.slice(dataStart, dataStart + size).bytes())
    }
    if (type === 'L') longName = (await readMeta()).replace(/\0+$/, '')
    else if (type === 'x') longName = paxPath(await readMeta()) ?? longName
    else if (type === '0' || type === '\0' || type === '7') {
      const prefix = field(header, 345, 155)
      const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100))
      if (images.length >= maxImages) throw new AppError('too_many_images', `the job holds more than ${maxImages} images`)
      images.push({ name, offset: dataStart, length: size })
      longName = undefined
    } else longName = undefined // a directory, link or other entry: nothing to classify
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK
  }
  return images
}
