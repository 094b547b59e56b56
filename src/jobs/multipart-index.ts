import type { BunFile } from 'bun'
import { AppError } from '../errors'
import { FileScanner } from './file-scanner'

/** One part of a spooled multipart body: its form field, its file name, and where its content is in the file. */
export interface SpooledPart {
  field: string
  filename?: string
  contentType?: string
  start: number
  end: number
}

/** Largest header block of one part, bytes. */
const MAX_PART_HEADER_BYTES = 16 * 1024

const malformed = (why: string) => new AppError('malformed_request', `the multipart body is malformed: ${why}`)

/** The boundary of a multipart/form-data Content-Type (RFC 2046: 1 to 70 characters, maybe quoted). */
export function multipartBoundary(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType)
  return match?.[1] ?? match?.[2]
}

/** A Content-Disposition parameter (name, filename), quoted or not. */
function parameter(disposition: string, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i').exec(disposition)
  const value = match?.[1] ?? match?.[2]
  return value?.replace(/\\(.)/g, '$1')
}

/**
 * The parts of the multipart body in `file`, in order, found by scanning for the boundary a chunk at a time: the
 * content of a part is never read. At most `maxParts` parts (too_many_images beyond); a part without a
 * Content-Disposition name, an oversized header block or a body without its closing delimiter is malformed_request.
 */
export async function multipartParts(file: BunFile, size: number, boundary: string, maxParts: number): Promise<SpooledPart[]> {
  const scanner = new FileScanner(file, 0, size)
  const encoder = new TextEncoder()
  const delimiter = encoder.encode(`--${boundary}`)
  const nextDelimiter = encoder.encode(`\r\n--${boundary}`)
  const headerEnd = encoder.encode('\r\n\r\n')
  const parts: SpooledPart[] = []
  let at = await scanner.indexOf(delimiter, 0)
  if (at === -1) throw malformed('no boundary delimiter')
  for (;;) {
    const after = (await scanner.bytes(at + delimiter.length, 2)).toString('latin1')
    if (after === '--') return parts // the close delimiter
    if (after !== '\r\n') throw malformed('a boundary is not followed by CRLF')
    const headersStart = at + delimiter.length + 2
    const headersEnd = await scanner.indexOf(headerEnd, headersStart)
    if (headersEnd === -1 || headersEnd - headersStart > MAX_PART_HEADER_BYTES) throw malformed('a part has no end to its headers')
    const headers = (await scanner.bytes(headersStart, headersEnd - headersStart)).toString('utf8').split('\r\n')
    const header = (name: string) =>
      headers
        .find((line) => line.toLowerCase().startsWith(`${name}:`))
        ?.slice(name.length + 1)
        .trim()
    const disposition = header('content-disposition') ?? ''
    const field = parameter(disposition, 'name')
    if (!/^form-data\b/i.test(disposition) || field === undefined) throw malformed('a part has no form-data name')
    const start = headersEnd + headerEnd.length
    const end = await scanner.indexOf(nextDelimiter, start)
    if (end === -1) throw malformed('the body ends inside a part (no closing boundary)')
    if (parts.length >= maxParts) throw new AppError('too_many_images', `the job holds more than ${maxParts} parts`)
    parts.push({ field, filename: parameter(disposition, 'filename'), contentType: header('content-type'), start, end })
    at = end + 2
  }
}
