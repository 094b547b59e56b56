import { TypeCompiler } from '@sinclair/typebox/compiler'
import { isUtf8 } from 'node:buffer'
import { AppError } from '../errors'
import { PredictJsonBody } from '../schemas/predict'
import type { Reservation } from './byte-budget'
import { readBodyLimited } from './read-body'
import { parseTopK } from '../top-k'
import { checkJsonBounds, type JsonBounds } from './json-bounds'
import { boundaryOf, parseMultipart } from './multipart'

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
/** Deepest JSON nesting parsed at all: a predict body nests 2 levels (an object holding an array). */
export const MAX_JSON_DEPTH = 32
/**
 * Room beyond one string (and one array element) per image: a valid body has three keys and two containers. The room
 * covers a body nested to the depth limit (a key and a container a level), so one nested deeper is told that (400),
 * not that it is too big; it is tiny next to what the bounds keep out.
 */
const PREDICT_JSON_ROOM = MAX_JSON_DEPTH + 16

/**
 * What a predict JSON body can need: one string (and one array element) per image, at most maxImagesPerRequest of
 * them, besides its few keys. Anything more is refused before JSON.parse builds it, so the heap a body costs is
 * bounded by the image limit rather than by how many tiny strings fit in the body limit.
 */
export const predictJsonBounds = (limits: Pick<BodyLimits, 'maxImagesPerRequest'>): JsonBounds => ({
  maxDepth: MAX_JSON_DEPTH,
  maxStrings: limits.maxImagesPerRequest + PREDICT_JSON_ROOM,
  maxContainers: PREDICT_JSON_ROOM,
  maxEntries: limits.maxImagesPerRequest + PREDICT_JSON_ROOM
})
const utf8 = new TextDecoder()

function checkCount(count: number, limits: BodyLimits): void {
  if (count === 0) throw new AppError('validation_failed', 'no image: send an `image` file (multipart) or `image`/`images` (JSON)')
  if (count > limits.maxImagesPerRequest)
    throw new AppError('too_many_images', `${count} images in one request; the limit is ${limits.maxImagesPerRequest}`)
}

function parseMultipartBody(bytes: Uint8Array, contentType: string, limits: BodyLimits): PredictInput {
  const boundary = boundaryOf(contentType)
  if (!boundary) throw new AppError('malformed_request', 'multipart/form-data without a boundary')
  const images: Uint8Array[] = []
  let topK: number | undefined
  for (const part of parseMultipart(bytes, boundary)) {
    if (part.name === 'image') {
      if (images.length === limits.maxImagesPerRequest) checkCount(images.length + 1, limits)
      if (part.filename === undefined) throw new AppError('validation_failed', 'field image must be a file, not text')
      if (part.data.byteLength > limits.maxImageBytes)
        throw new AppError('image_too_large', `an image is ${part.data.byteLength} bytes; the limit is ${limits.maxImageBytes}`)
      images.push(part.data) // a view into the body, not a copy
    } else if (part.name === 'top_k' && part.filename === undefined && topK === undefined) topK = parseTopK(utf8.decode(part.data))
    else throw new AppError('validation_failed', `unexpected multipart field ${JSON.stringify(part.name.slice(0, 64))}`)
  }
  checkCount(images.length, limits)
  return { images, topK }
}

/** One base64 image (a `data:image/…;base64,` URL too) → its bytes; 400/413/415 for what is wrong with it. */
export function decodeBase64Image(value: string, index: number, limits: BodyLimits): Uint8Array {
  let payload = value
  const dataUrl = DATA_URL.exec(value)
  if (dataUrl) {
    if (!dataUrl[1]!.toLowerCase().startsWith('image/'))
      throw new AppError(
        'unsupported_image_format',
        `image ${index} is a data: URL of type ${JSON.stringify(dataUrl[1]!.slice(0, 64))}, not image/*`
      )
    if (dataUrl[2] !== ';base64') throw new AppError('malformed_request', `image ${index}: data: URL must be ;base64`)
    payload = value.slice(dataUrl[0].length)
  }
  // O(1) before any scan of a string that may be tens of MB: even MIME-wrapped (CRLF every 76 characters) it is too long.
  if (payload.length > Math.ceil(((limits.maxImageBytes + 2) * 4) / 3) * (78 / 76) + 4)
    throw new AppError('image_too_large', `image ${index} is over the limit of ${limits.maxImageBytes} bytes`)
  // MIME base64 wraps lines; whitespace is not data. Most payloads have none: no copy of them then.
  if (/\s/.test(payload)) payload = payload.replace(/\s+/g, '')
  if (!BASE64.test(payload)) throw new AppError('malformed_request', `image ${index} is not valid base64`)
  if (Math.floor((payload.length * 3) / 4) > limits.maxImageBytes + 2)
    throw new AppError('image_too_large', `image ${index} is over the limit of ${limits.maxImageBytes} bytes`)
  return Buffer.from(payload, payload.includes('-') || payload.includes('_') ? 'base64url' : 'base64')
}

async function parseJson(bytes: Uint8Array, limits: BodyLimits): Promise<PredictInput> {
  // Checked before parsing: JSON.parse of a million nested brackets, or of a million tiny strings, costs a heap many
  // times the body; a valid body nests 2 levels and holds a string per image.
  checkJsonBounds(bytes, predictJsonBounds(limits))
  // JSON is UTF-8 (RFC 8259); Response.json() would replace bad bytes with U+FFFD and make a confusing 422.
  if (!isUtf8(bytes)) throw new AppError('malformed_request', 'the body is not valid UTF-8')
  let body: unknown
  try {
    // Parsed straight from the bytes: TextDecoder + JSON.parse would also hold the whole text as a string, one
    // more copy of a large base64 image at the peak (bench/micro/body-copies.ts measures it).
    body = await new Response(bytes as Uint8Array<ArrayBuffer>).json()
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

/**
 * Parses a predict body (multipart or JSON) into raw image bytes; throws AppError for every client mistake.
 * `signal` aborts reading the body (the body timeout); its reason is what the caller sees. A chunked body grows
 * `reservation` as it arrives.
 */
export async function parsePredictBody(
  request: Request,
  limits: BodyLimits,
  signal?: AbortSignal,
  reservation?: Reservation
): Promise<PredictInput> {
  const contentType = request.headers.get('content-type') ?? ''
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase()
  if (mediaType !== 'multipart/form-data' && mediaType !== 'application/json')
    throw new AppError(
      'unsupported_media_type',
      `Content-Type must be multipart/form-data or application/json, got ${JSON.stringify(mediaType.slice(0, 64) || '(none)')}`
    )
  const bytes = await readBodyLimited(request, limits.maxBodyBytes, signal, reservation)
  if (bytes.length === 0) throw new AppError('malformed_request', 'the body is empty')
  return mediaType === 'application/json' ? parseJson(bytes, limits) : parseMultipartBody(bytes, contentType, limits)
}
