import { describe, expect, test } from 'bun:test'
import { ByteBudget } from '../../src/http/byte-budget'
import { admitBody, declaredLength, readBodyLimited } from '../../src/http/read-body'

/** A request whose body arrives as `chunks` (a stream: no socket involved). */
function streamed(chunks: Uint8Array[], headers: Record<string, string> = {}) {
  let pulled = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled < chunks.length) controller.enqueue(chunks[pulled++]!)
      else controller.close()
    }
  })
  return { request: new Request('http://x/v1/predict', { method: 'POST', headers, body }), pulled: () => pulled }
}

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill)

describe('declaredLength', () => {
  const req = (headers: Record<string, string>) => new Request('http://x/', { method: 'POST', headers })
  test('trusts a plain Content-Length only without Transfer-Encoding', () => {
    expect(declaredLength(req({ 'content-length': '123' }))).toBe(123)
    expect(declaredLength(req({ 'content-length': '123', 'transfer-encoding': 'chunked' }))).toBeUndefined()
    expect(declaredLength(req({ 'content-length': '1e3' }))).toBeUndefined()
    expect(declaredLength(req({}))).toBeUndefined()
  })
})

describe('admitBody', () => {
  test('reserves the declared length before reading; refuses with 429 body_budget_full and Retry-After, the connection kept open', () => {
    const budget = new ByteBudget(100, 100)
    const first = admitBody(budget, streamed([], { 'content-length': '80' }).request, 100)
    expect(first.bytes).toBe(80)
    const { request, pulled } = streamed([bytes(30)], { 'content-length': '30' })
    // No Connection: close: a client still sending must read the 429 (Bun discards the rest, linger.ts).
    expect(() => admitBody(budget, request, 100)).toThrow(
      expect.objectContaining({ code: 'body_budget_full', status: 429, retryAfterSeconds: 1, headers: undefined })
    )
    expect(pulled()).toBe(0) // not a byte read
    first.release()
    expect(admitBody(budget, request, 100).bytes).toBe(30)
  })

  test('a body over the body limit reserves nothing (the reader answers 413 instead)', () => {
    const budget = new ByteBudget(100, 100)
    expect(admitBody(budget, streamed([], { 'content-length': '5000' }).request, 100).bytes).toBe(0)
  })

  test("beyond its client's share a body is refused while others' bodies still fit; the message says why", () => {
    const budget = new ByteBudget(100, 40, undefined, 40)
    const declared = (n: number) => streamed([], { 'content-length': String(n) }).request
    const mine = admitBody(budget, declared(40), 40, 'ip:a')
    expect(() => admitBody(budget, declared(30), 40, 'ip:a')).toThrow(
      expect.objectContaining({ code: 'body_budget_full', message: expect.stringContaining('this client already holds its share') })
    )
    expect(admitBody(budget, declared(30), 40, 'ip:b').bytes).toBe(30)
    mine.release()
  })
})

describe('readBodyLimited', () => {
  test('with Content-Length: the chunks land in one buffer of that size', async () => {
    const { request } = streamed([bytes(3, 1), bytes(4, 2), bytes(1, 3)], { 'content-length': '8' })
    expect([...(await readBodyLimited(request, 100))]).toEqual([1, 1, 1, 2, 2, 2, 2, 3])
  })

  test('with Content-Length over the limit: 413 before a byte is read, the connection kept open', async () => {
    const { request } = streamed([bytes(60)], { 'content-length': '5000' })
    await expect(readBodyLimited(request, 100)).rejects.toMatchObject({ code: 'payload_too_large', headers: undefined })
    expect(request.bodyUsed).toBe(false) // left to Bun, which discards it (linger.ts)
  })

  test('with Content-Length: a body longer than declared is malformed', async () => {
    const { request } = streamed([bytes(6), bytes(6)], { 'content-length': '8' })
    await expect(readBodyLimited(request, 100)).rejects.toMatchObject({ code: 'malformed_request' })
  })

  test("an abort ends a read that is waiting for bytes, with the signal's reason", async () => {
    const body = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) }) // never sends a byte
    const request = new Request('http://x/v1/predict', { method: 'POST', headers: { 'content-length': '100' }, body })
    const controller = new AbortController()
    const read = readBodyLimited(request, 1000, controller.signal)
    controller.abort(new Error('body timeout'))
    await expect(read).rejects.toThrow('body timeout')
  })

  test('chunked: each chunk must fit the reservation; reading stops at the first that does not', async () => {
    const budget = new ByteBudget(10, 10)
    const { request, pulled } = streamed([bytes(4), bytes(4), bytes(4), bytes(4)])
    const reservation = admitBody(budget, request, 10)
    expect(reservation.bytes).toBe(0)
    await expect(readBodyLimited(request, 100, undefined, reservation)).rejects.toMatchObject({ code: 'body_budget_full', status: 429 })
    expect(pulled()).toBeLessThan(4)
    expect(budget.usedBytes).toBe(8)
    reservation.release()
    expect(budget.usedBytes).toBe(0)
  })

  test('chunked: over the body limit is 413 even with budget to spare', async () => {
    const budget = new ByteBudget(1000, 1000)
    const { request } = streamed([bytes(60), bytes(60)])
    await expect(readBodyLimited(request, 100, undefined, budget.reserve(0))).rejects.toMatchObject({ code: 'payload_too_large' })
  })
})
