import { describe, expect, test } from 'bun:test'
import { requestDeadline } from '../../src/http/deadline'

const request = (header?: string) =>
  new Request('http://x/v1/predict', { method: 'POST', headers: header === undefined ? {} : { 'x-request-timeout-ms': header } })

describe('requestDeadline', () => {
  const cases: Array<[string, string | undefined, number]> = [
    ['no header: the server default', undefined, 30_000],
    ['a shorter header wins', '250', 250],
    ['a longer header cannot extend the default', '999999', 30_000]
  ]
  for (const [name, header, ms] of cases)
    test(name, () => {
      const deadline = requestDeadline(request(header), 30_000)
      expect(deadline.ms).toBe(ms)
      deadline.dispose()
    })

  for (const bad of ['0', '-5', '1.5', 'soon', ''])
    test(`refuses ${JSON.stringify(bad)} with 422`, () => {
      expect(() => requestDeadline(request(bad), 30_000)).toThrow(expect.objectContaining({ code: 'validation_failed' }))
    })

  test('aborts with 504 deadline_exceeded when the time is up', async () => {
    const deadline = requestDeadline(request('5'), 30_000)
    await new Promise((resolve) => deadline.signal.addEventListener('abort', resolve, { once: true }))
    expect(deadline.signal.reason).toMatchObject({ code: 'deadline_exceeded', status: 504 })
    deadline.dispose()
  })
})
