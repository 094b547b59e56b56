import { deflateSync, gzipSync } from 'node:zlib'
import { AppError } from '../errors'
import type { Reservation } from './byte-budget'
import { readCounted } from './read-body'

/**
 * Compressed /v2 inference bodies, as NVIDIA's tritonclient sends and reads them with
 * `request_compression_algorithm` / `response_compression_algorithm`: `Content-Encoding: gzip` or `deflate`
 * (the zlib format, as HTTP means it) on the request, `Accept-Encoding` for the response. The
 * Inference-Header-Content-Length of either direction counts the JSON of the uncompressed body.
 */
export type ContentCoding = 'gzip' | 'deflate'

/** The request body's coding; undefined for none or identity; 415 for one this server cannot decode. */
export function requestCoding(headers: Headers): ContentCoding | undefined {
  const value = headers.get('content-encoding')?.trim().toLowerCase()
  if (!value || value === 'identity') return undefined
  if (value === 'gzip' || value === 'deflate') return value
  throw new AppError('unsupported_media_type', `Content-Encoding ${JSON.stringify(value.slice(0, 32))} is not supported (gzip, deflate)`)
}

/**
 * Decompresses a request body within `limit` bytes (the body limit: a 30 KB gzip of zeros may hold gigabytes),
 * each chunk taken from the request's share of the body budget as it comes out, so compressed bodies are bounded
 * by the same budget as plain ones. A corrupt stream is 400 malformed_request.
 */
export async function decodeBody(
  bytes: Uint8Array,
  coding: ContentCoding,
  limit: number,
  signal?: AbortSignal,
  reservation?: Reservation
): Promise<Uint8Array> {
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream(coding)).getReader()
  try {
    return await readCounted(reader, limit, signal, reservation)
  } catch (error) {
    if (error instanceof AppError) throw error
    throw new AppError('malformed_request', `the ${coding} body could not be decompressed (${(error as Error).message})`)
  }
}

/** The coding to answer in: the first of gzip or deflate the client accepts (q > 0), else none. */
export function responseCoding(acceptEncoding: string | null): ContentCoding | undefined {
  if (!acceptEncoding) return undefined
  const accepted = new Set(
    acceptEncoding
      .toLowerCase()
      .split(',')
      .map((part) => part.trim().split(';'))
      .filter(([, ...params]) => !params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p)))
      .map(([name]) => name!.trim())
  )
  return accepted.has('gzip') ? 'gzip' : accepted.has('deflate') ? 'deflate' : undefined
}

export function encodeBody(body: Uint8Array, coding: ContentCoding): Uint8Array {
  return coding === 'gzip' ? gzipSync(body) : deflateSync(body)
}
