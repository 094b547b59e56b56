/**
 * How many copies of one upload the body parser holds at its peak. Not a test: run by hand,
 *
 *   bun bench/micro/body-copies.ts                                  # this tree's src/http/predict-body.ts
 *   bun bench/micro/body-copies.ts --body /path/to/other/body.ts    # another checkout's parser, to compare
 *
 * Each case runs in a fresh process: the body arrives as a stream of 64 KiB chunks (as from a socket)
 * with its Content-Length, is parsed by parsePredictBody, and the resident-set high-water mark
 * (VmHWM, reset through /proc/self/clear_refs) says how many MB the parse added at its peak, shown
 * also as a multiple of the image's size. The image is 15 MB of a JPEG header then filler (under the
 * 16 MiB image limit, so every path runs to the end).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'

const IMAGE_BYTES = 15_000_000
const CHUNK = 64 * 1024
const args = process.argv.slice(2)
const bodyModule = resolve(
  args[args.indexOf('--body') + 1] && args.includes('--body')
    ? args[args.indexOf('--body') + 1]!
    : `${import.meta.dir}/../../src/http/predict-body.ts`
)
const kind = args.includes('--case') ? args[args.indexOf('--case') + 1]! : undefined

const statusKb = (field: string) =>
  Number(readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))![1]) / 1024

function image(): Uint8Array {
  const bytes = new Uint8Array(IMAGE_BYTES).fill(0x41)
  bytes.set([0xff, 0xd8, 0xff, 0xe0])
  return bytes
}

function bodyOf(which: string): { bytes: Uint8Array; contentType: string } {
  if (which === 'base64')
    return { bytes: Buffer.from(JSON.stringify({ image: Buffer.from(image()).toString('base64') })), contentType: 'application/json' }
  const head = Buffer.from('--b\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n')
  return { bytes: Buffer.concat([head, image(), Buffer.from('\r\n--b--\r\n')]), contentType: 'multipart/form-data; boundary=b' }
}

async function measure(which: string): Promise<void> {
  const { parsePredictBody } = (await import(bodyModule)) as typeof import('../../src/http/predict-body')
  let { bytes, contentType } = bodyOf(which)
  const length = bytes.length
  // The chunks stand for what the socket hands over; they are made before the baseline is taken.
  const chunks = Array.from({ length: Math.ceil(length / CHUNK) }, (_, i) => bytes.slice(i * CHUNK, (i + 1) * CHUNK))
  bytes = new Uint8Array(0)
  Bun.gc(true)
  let next = 0
  const stream = new ReadableStream<Uint8Array>({ pull: (c) => (next < chunks.length ? c.enqueue(chunks[next++]!) : c.close()) })
  const request = new Request('http://x/v1/predict', {
    method: 'POST',
    headers: { 'content-type': contentType, 'content-length': String(length) },
    body: stream
  })
  writeFileSync('/proc/self/clear_refs', '5') // resets VmHWM to the current RSS
  const before = statusKb('VmHWM')
  const input = await parsePredictBody(request, {
    maxBodyBytes: 64 * 1024 * 1024,
    maxImageBytes: 16 * 1024 * 1024,
    maxImagesPerRequest: 16
  })
  const peakMb = statusKb('VmHWM') - before
  console.log(
    JSON.stringify({
      case: which,
      bodyMb: length / 1e6,
      imageMb: IMAGE_BYTES / 1e6,
      decodedMb: input.images[0]!.byteLength / 1e6,
      peakAddedMb: Math.round(peakMb),
      copiesOfImage: Math.round((peakMb * 1024 * 1024 * 10) / IMAGE_BYTES) / 10
    })
  )
}

if (kind) await measure(kind)
else {
  console.log(`parser: ${bodyModule}`)
  for (const which of ['multipart', 'base64']) {
    const child = Bun.spawnSync([process.execPath, import.meta.path, '--body', bodyModule, '--case', which])
    process.stdout.write(child.stdout.toString() || child.stderr.toString())
  }
}
