import { describe, expect, test } from 'bun:test'
import { boundaryOf, parseMultipart } from '../../src/http/multipart'

const B = 'b0und'
const enc = (s: string) => new TextEncoder().encode(s)
const file = (name: string, content: string, filename = 'a.jpg') =>
  `--${B}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: image/jpeg\r\n\r\n${content}\r\n`
const field = (name: string, value: string) => `--${B}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
const text = (part: { data: Uint8Array }) => new TextDecoder().decode(part.data)

describe('boundaryOf', () => {
  test('plain, quoted, absent and empty', () => {
    expect(boundaryOf(`multipart/form-data; boundary=${B}`)).toBe(B)
    expect(boundaryOf('multipart/form-data; boundary="a b;c"')).toBe('a b;c')
    expect(boundaryOf('multipart/form-data')).toBeUndefined()
    expect(boundaryOf('multipart/form-data; boundary=')).toBeUndefined()
  })
})

describe('parseMultipart', () => {
  test('files and text fields in order; file bytes are views into the body, not copies', () => {
    const body = enc(`${file('image', 'JPEG1')}${field('top_k', '3')}${file('image', 'x\r\n--not-the-boundary')}--${B}--\r\n`)
    const parts = parseMultipart(body, B)
    expect(parts.map((p) => [p.name, p.filename, text(p)])).toEqual([
      ['image', 'a.jpg', 'JPEG1'],
      ['top_k', undefined, '3'],
      ['image', 'a.jpg', 'x\r\n--not-the-boundary']
    ])
    expect(parts[0]!.data.buffer).toBe(body.buffer)
  })

  test('a preamble before the first boundary and an epilogue after the last are ignored; so is transport padding', () => {
    const body = enc(`preamble\r\n--${B}  \r\nContent-Disposition: form-data; name="image"; filename=""\r\n\r\nA\r\n--${B}--epilogue`)
    expect(parseMultipart(body, B).map((p) => [p.name, p.filename, text(p)])).toEqual([['image', '', 'A']])
  })

  const malformed: [string, string][] = [
    ['the boundary never appears', `--other\r\n${file('image', 'A')}`],
    ['LF-only lines', file('image', 'A').replaceAll('\r\n', '\n') + `--${B}--\n`],
    ['no closing boundary', file('image', 'A').slice(0, -2)],
    ['no Content-Disposition', `--${B}\r\nContent-Type: image/jpeg\r\n\r\nA\r\n--${B}--`],
    ['headers that never end', `--${B}\r\nContent-Disposition: form-data; name="image"`],
    ['only the close delimiter', `--${B}--\r\n`]
  ]
  for (const [what, body] of malformed)
    test(`400 malformed_request: ${what}`, () => {
      expect(() => parseMultipart(enc(body), B)).toThrow(expect.objectContaining({ code: 'malformed_request' }))
    })
})
