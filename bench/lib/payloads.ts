import { join } from 'node:path'

/** The photos every contender sees, paths relative to the repository root. */
export const IMAGES = {
  jpeg: { path: 'test/fixtures/images/chelsea.jpg', type: 'image/jpeg' },
  png: { path: 'test/fixtures/images/coffee.png', type: 'image/png' },
  camera: { path: 'bench/fixtures/shell-5120x2880.jpg', type: 'image/jpeg' }
} as const
export type ImageName = keyof typeof IMAGES

export const PAYLOAD_NAMES = ['jpeg', 'png', 'camera', 'b64-jpeg', 'b64-png', 'b64-camera', 'multi4', 'v2-json', 'v2-binary'] as const
export type PayloadName = (typeof PAYLOAD_NAMES)[number]

/** One ready-to-send request body; built once, sent unchanged by every connection. */
export interface Payload {
  name: PayloadName
  /** Which photo, so the limit can be run on the same bytes. */
  image: ImageName
  imagesPerRequest: number
  contentType: string
  body: Buffer
  /** Route it is sent to: /v1/predict unless it is an Open Inference Protocol request. */
  path: string
  /** Extra request headers (the binary extension's Inference-Header-Content-Length). */
  headers?: Record<string, string>
}

/** /v2 infer on the default model, top 5 as the classification extension, the answer in JSON. */
const V2_PATH = '/v2/models/mobilenetv2/infer'
const V2_OUTPUTS = [{ name: 'output', parameters: { classification: 5, binary_data: false } }]

/** The same photo as `jpeg` through /v2: base64 in a JSON BYTES tensor, or raw after the JSON (binary extension). */
function v2Payload(name: 'v2-json' | 'v2-binary', bytes: Uint8Array): Payload {
  const common = { name, image: 'jpeg' as const, imagesPerRequest: 1, path: V2_PATH }
  if (name === 'v2-json') {
    const inputs = [{ name: 'image', shape: [1], datatype: 'BYTES', data: [Buffer.from(bytes).toString('base64')] }]
    return { ...common, contentType: 'application/json', body: Buffer.from(JSON.stringify({ inputs, outputs: V2_OUTPUTS })) }
  }
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: bytes.length + 4 } }],
      outputs: V2_OUTPUTS
    })
  )
  const length = Buffer.alloc(4)
  length.writeUInt32LE(bytes.length)
  return {
    ...common,
    contentType: 'application/octet-stream',
    headers: { 'inference-header-content-length': String(header.length) },
    body: Buffer.concat([header, length, Buffer.from(bytes)])
  }
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
  const image: ImageName = name === 'multi4' || name.startsWith('v2-') ? 'jpeg' : (name.replace('b64-', '') as ImageName)
  const file = await readImage(root, image)
  if (name === 'v2-json' || name === 'v2-binary') return v2Payload(name, file.bytes)
  if (name.startsWith('b64-')) {
    const body = Buffer.from(JSON.stringify({ image: Buffer.from(file.bytes).toString('base64') }))
    return { name, image, imagesPerRequest: 1, contentType: 'application/json', body, path: '/v1/predict' }
  }
  const parts = name === 'multi4' ? [file, file, file, file] : [file]
  return {
    name,
    image,
    imagesPerRequest: parts.length,
    contentType: `multipart/form-data; boundary=${BOUNDARY}`,
    body: multipart(parts),
    path: '/v1/predict'
  }
}
