import { AppError } from '../errors'

/** One part of a multipart/form-data body. `data` is a view into the body: no byte is copied. */
export interface MultipartPart {
  name: string
  /** Present (possibly empty) when the part is a file upload; a plain text field has none. */
  filename?: string
  data: Uint8Array
}

const CRLF = Buffer.from('\r\n')
const HEADERS_END = Buffer.from('\r\n\r\n')

const malformed = (why: string) => new AppError('malformed_request', `the multipart body could not be parsed: ${why}`)

/** The boundary parameter of a multipart Content-Type (quoted or not), or undefined when absent or empty. */
export function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]*)"|([^;\s]*))/i.exec(contentType)
  const boundary = match?.[1] ?? match?.[2]
  return boundary ? boundary : undefined
}

/**
 * Splits a multipart/form-data body (RFC 7578 / RFC 2046 §5.1) into its parts. Each part's bytes stay a
 * view into `body`. `Response.formData()` would copy the body into a Blob, each file into its own Blob and
 * then each Blob into an ArrayBuffer: three copies of every upload, which this avoids.
 * Throws 400 malformed_request for framing errors (no part, LF-only lines, no closing boundary).
 */
export function parseMultipart(body: Uint8Array, boundary: string): MultipartPart[] {
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  const dashBoundary = Buffer.from(`--${boundary}`)
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  // The first boundary opens the body, or follows a preamble (which RFC 2046 says to ignore).
  const afterPreamble = buffer.indexOf(delimiter)
  if (buffer.indexOf(dashBoundary) !== 0 && afterPreamble < 0) throw malformed('no part (check the boundary)')
  let at = buffer.indexOf(dashBoundary) === 0 ? 0 : afterPreamble + CRLF.length
  const parts: MultipartPart[] = []
  for (;;) {
    at += dashBoundary.length
    if (buffer[at] === 0x2d && buffer[at + 1] === 0x2d) break // "--": the close delimiter; the epilogue is ignored
    while (buffer[at] === 0x20 || buffer[at] === 0x09) at++ // transport padding
    if (buffer[at] !== 0x0d || buffer[at + 1] !== 0x0a) throw malformed('a boundary line does not end in CRLF')
    at += CRLF.length
    const noHeaders = buffer[at] === 0x0d && buffer[at + 1] === 0x0a
    const headersEnd = noHeaders ? at - CRLF.length : buffer.indexOf(HEADERS_END, at)
    if (headersEnd < 0) throw malformed('a part has no end to its headers')
    const dataStart = headersEnd + HEADERS_END.length
    const next = buffer.indexOf(delimiter, dataStart)
    if (next < 0) throw malformed('the closing boundary is missing')
    parts.push({ ...disposition(noHeaders ? '' : buffer.toString('utf8', at, headersEnd)), data: body.subarray(dataStart, next) })
    at = next + CRLF.length
  }
  if (parts.length === 0) throw malformed('no part (check the boundary)')
  return parts
}

/** The field name and filename of a part, from its Content-Disposition header. */
function disposition(headers: string): { name: string; filename?: string } {
  const line = /^content-disposition:[ \t]*form-data\b(.*)$/im.exec(headers)?.[1]
  if (line === undefined) throw malformed('a part has no Content-Disposition: form-data header')
  const name = param(line, 'name')
  if (name === undefined) throw malformed('a part has no field name')
  const filename = param(line, 'filename') ?? (/;\s*filename\*=/i.test(line) ? '' : undefined)
  return filename === undefined ? { name } : { name, filename }
}

/** A quoted or bare parameter. Browsers percent-encode a quote inside a name (HTML's form encoding), so no escapes. */
function param(line: string, key: string): string | undefined {
  const match = new RegExp(`;\\s*${key}=(?:"([^"]*)"|([^;\\s]*))`, 'i').exec(line)
  return match ? (match[1] ?? match[2]) : undefined
}
