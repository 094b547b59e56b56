/** A file to put in an archive: its name there and how to read its bytes when its turn comes. */
export interface TarEntry {
  name: string
  size: number
  bytes(): Promise<Uint8Array>
}

const BLOCK = 512
const encoder = new TextEncoder()

/** A ustar header block: the fields readers check (name, mode, size, checksum, type, magic). */
function header(name: string, size: number, type: '0' | 'x'): Uint8Array {
  const block = new Uint8Array(BLOCK)
  const put = (text: string, at: number) => block.set(encoder.encode(text), at)
  block.set(encoder.encode(name).subarray(0, 100), 0)
  put('0000644\0', 100)
  put('0000000\0', 108)
  put('0000000\0', 116)
  put(`${size.toString(8).padStart(11, '0')}\0`, 124)
  put(
    `${Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136
  )
  put('        ', 148)
  put(type, 156)
  put('ustar\0', 257)
  put('00', 263)
  const sum = block.reduce((total, byte) => total + byte, 0)
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
  return block
}

/** A PAX `path` record: "<length> path=<name>\n", the length counting itself. */
function paxPath(name: string): Uint8Array {
  const body = ` path=${name}\n`
  let length = encoder.encode(body).length
  length += String(length + String(length).length).length
  return encoder.encode(`${length}${body}`)
}

const padding = (size: number) => new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK)

/**
 * A tar archive of `entries`, made as it is read: each file is read when its turn comes, so an upload of a
 * folder of any size holds one file in memory. Names longer than ustar's 100 bytes go in a PAX header.
 */
export function tarStream(entries: Iterable<TarEntry>): ReadableStream<Uint8Array> {
  const iterator = entries[Symbol.iterator]()
  return new ReadableStream({
    async pull(controller) {
      const next = iterator.next()
      if (next.done) {
        controller.enqueue(new Uint8Array(2 * BLOCK)) // end-of-archive blocks
        return controller.close()
      }
      const { name, size } = next.value
      if (encoder.encode(name).length > 100) {
        const record = paxPath(name)
        controller.enqueue(header('PaxHeader', record.length, 'x'))
        controller.enqueue(record)
        controller.enqueue(padding(record.length))
      }
      const bytes = await next.value.bytes()
      if (bytes.length !== size) throw new Error(`${name} changed size while it was read (${size} → ${bytes.length} bytes)`)
      controller.enqueue(header(name, size, '0'))
      controller.enqueue(bytes)
      controller.enqueue(padding(size))
    }
  })
}
