import { join } from 'node:path'

/** The photos every contender sees, paths relative to the repository root. */
export const IMAGES = {
  jpeg: { path: 'test/fixtures/images/chelsea.jpg', type: 'image/jpeg' },
  png: { path: 'test/fixtures/images/coffee.png', type: 'image/png' },
  camera: { path: 'bench/fixtures/shell-5120x2880.jpg', type: 'image/jpeg' }
} as const
export type ImageName = keyof typeof IMAGES

export const PAYLOAD_NAMES = ['jpeg', 'png', 'camera', 'b64-jpeg', 'b64-png', 'b64-camera', 'multi4'] as const
export type PayloadName = (typeof PAYLOAD_NAMES)[number]

/** One ready-to-send request body; built once, sent unchanged by every connection. */
export interface Payload {
  name: PayloadName
  /** Which photo, so the limit can be run on the same bytes. */
  image: ImageName
  imagesPerRequest: number
  contentType: string
  body: Buffer
}

// A fixed boundary keeps the bytes identical from run to run (and Bun's FormData → Request
// conversion can lose the content-type header, which would turn every request into a 415).
const BOUNDARY = '----bun-infer-bench-6c1f0a3e'

function multipart(parts: { bytes: Uint8Array; filename: string; type: string }[]): Buffer {
  const chunks: Buffer[] = []
  for (const part of parts) {
    chunks.push(
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="${part.filename}"\r\n` +
          `Content-Type: ${part.type}\r\n\r\n`
      ),
      Buffer.from(part.bytes),
      Buffer.from('\r\n')
    )
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`))
  return Buffer.concat(chunks)
}

async function readImage(root: string, name: ImageName) {
  const { path, type } = IMAGES[name]
  return { bytes: await Bun.file(join(root, path)).bytes(), filename: path.split('/').pop()!, type }
}

/** Builds the body of one named payload. `multi4` is four copies of the small JPEG, so its images/s compare with `jpeg`. */
export async function buildPayload(root: string, name: PayloadName): Promise<Payload> {
  const image: ImageName = name === 'multi4' ? 'jpeg' : (name.replace('b64-', '') as ImageName)
  const file = await readImage(root, image)
  if (name.startsWith('b64-')) {
    const body = Buffer.from(JSON.stringify({ image: Buffer.from(file.bytes).toString('base64') }))
    return { name, image, imagesPerRequest: 1, contentType: 'application/json', body }
  }
  const parts = name === 'multi4' ? [file, file, file, file] : [file]
  return { name, image, imagesPerRequest: parts.length, contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: multipart(parts) }
}
