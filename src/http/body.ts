import { TypeCompiler } from '@sinclair/typebox/compiler'
import { AppError } from '../errors'
import { PredictJsonBody } from '../schemas/predict'
import type { Reservation } from './byte-budget'
import { readBodyLimited } from './read-body'

export interface BodyLimits {
  maxBodyBytes: number
  maxImageBytes: number
  maxImagesPerRequest: number
}

export interface PredictInput {
  images: Uint8Array[]
  topK?: number
}

const checkJson = TypeCompiler.Compile(PredictJsonBody)
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/
const DATA_URL = /^data:([^;,]*)(;[^,]*)?,/

function checkCount(count: number, limits: BodyLimits): void {
  if (count === 0) throw new AppError('validation_failed', 'no image: send an `image` file (multipart) or `image`/`images` (JSON)')
  if (count > limits.maxImagesPerRequest)
    throw new AppError('too_many_images', `${count} images in one request; the limit is ${limits.maxImagesPerRequest}`)
}

function parseTopK(raw: string): number {
  // The digits check alone let 0 (an empty answer) and 1001–9999 through; the range is the JSON schema's.
  const topK = /^[0-9]{1,4}$/.test(raw) ? Number(raw) : 0
  if (topK < 1 || topK > 1000) throw new AppError('validation_failed', 'top_k must be a whole number from 1 to 1000')
  return topK
}

async function parseMultipart(bytes: Uint8Array, contentType: string, limits: BodyLimits): Promise<PredictInput> {
  if (!/boundary=/i.test(contentType)) throw new AppError('malformed_request', 'multipart/form-data without a boundary')
  let form: FormData
  try {
    form = await new Response(bytes as unknown as BodyInit, { headers: { 'content-type': contentType } }).formData()
  } catch {
    throw new AppError('malformed_request', 'the multipart body could not be parsed')
  }
  // Bun parses a body with no recognisable part (LF-only lines, a boundary that never appears) to an
  // empty form; RFC 2046 requires at least one part, so that is a framing error, not a missing image.
  if (form.entries().next().done) throw new AppError('malformed_request', 'the multipart body has no parts (check the boundary and CRLF line ends)')
  const images: Uint8Array[] = []
  let topK: number | undefined
  for (const [name, value] of form.entries() as Iterable<[string, string | Blob]>) {
    if (name === 'image') {
      if (images.length === limits.maxImagesPerRequest) checkCount(images.length + 1, limits)
      if (typeof value === 'string') throw new AppError('validation_failed', 'field image must be a file, not text')
      if (value.size > limits.maxImageBytes)
        throw new AppError('image_too_large', `an image is ${value.size} bytes; the limit is ${limits.maxImageBytes}`)
      images.push(new Uint8Array(await value.arrayBuffer()))
    } else if (name === 'top_k' && typeof value === 'string' && topK === undefined) topK = parseTopK(value)
    else throw new AppError('validation_failed', `unexpected multipart field ${JSON.stringify(name.slice(0, 64))}`)
  }
  checkCount(images.length, limits)
  return { images, topK }
}

function decodeBase64Image(value: string, index: number, limits: BodyLimits): Uint8Array {
  let payload = value
  const dataUrl = DATA_URL.exec(value)
  if (dataUrl) {
    if (!dataUrl[1]!.toLowerCase().startsWith('image/'))
      throw new AppError('unsupported_image_format', `image ${index} is a data: URL of type ${JSON.stringify(dataUrl[1]!.slice(0, 64))}, not image/*`)
    if (dataUrl[2] !== ';base64') throw new AppError('malformed_request', `image ${index}: data: URL must be ;base64`)
    payload = value.slice(dataUrl[0].length)
  }
  payload = payload.replace(/\s+/g, '') // MIME base64 wraps lines; whitespace is not data
  if (!BASE64.test(payload)) throw new AppError('malformed_request', `image ${index} is not valid base64`)
  if (Math.floor((payload.length * 3) / 4) > limits.maxImageBytes + 2)
    throw new AppError('image_too_large', `image ${index} is over the limit of ${limits.maxImageBytes} bytes`)
  return Buffer.from(payload, payload.includes('-') || payload.includes('_') ? 'base64url' : 'base64')
}

function parseJson(bytes: Uint8Array, limits: BodyLimits): PredictInput {
  let body: unknown
  try {
    // fatal: JSON is UTF-8 (RFC 8259); replacing bad bytes with U+FFFD would turn them into a confusing 422.
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw new AppError('malformed_request', 'the body is not valid JSON')
  }
  if (!checkJson.Check(body)) {
    const error = checkJson.Errors(body).First()!
    throw new AppError('validation_failed', `${error.path || 'body'}: ${error.message}`)
  }
  if ((body.image === undefined) === (body.images === undefined))
    throw new AppError('validation_failed', 'send exactly one of image or images')
  const encoded = body.images ?? [body.image!]
  checkCount(encoded.length, limits)
  return { images: encoded.map((value, i) => decodeBase64Image(value, i, limits)), topK: body.top_k }
}

/** Parses a predict body (multipart or JSON) into raw image bytes; throws AppError for every client mistake. */
/** `signal` aborts reading the body (the body timeout); its reason is what the caller sees. A chunked body grows `reservation` as it arrives. */
export async function parsePredictBody(request: Request, limits: BodyLimits, signal?: AbortSignal, reservation?: Reservation): Promise<PredictInput> {
  const contentType = request.headers.get('content-type') ?? ''
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase()
  if (mediaType !== 'multipart/form-data' && mediaType !== 'application/json')
    throw new AppError('unsupported_media_type', `Content-Type must be multipart/form-data or application/json, got ${JSON.stringify(mediaType.slice(0, 64) || '(none)')}`)
  const bytes = await readBodyLimited(request, limits.maxBodyBytes, signal, reservation)
  if (bytes.length === 0) throw new AppError('malformed_request', 'the body is empty')
  return mediaType === 'application/json' ? parseJson(bytes, limits) : parseMultipart(bytes, contentType, limits)
}
