import { afterAll, describe, expect, test } from 'bun:test'
import { runLoad } from '../../bench/lib/load'
import type { Payload } from '../../bench/lib/payloads'

// A server that answers at once: what the window counts is then only a question of when each answer arrived.
const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('{}') })
afterAll(() => server.stop(true))

const payload: Payload = {
  name: 'jpeg',
  image: 'jpeg',
  imagesPerRequest: 1,
  contentType: 'application/json',
  body: Buffer.from('{}'),
  path: '/'
}
const spec = { url: `http://127.0.0.1:${server.port}`, payload, connections: 2, label: 'window', quiet: true }

describe('runLoad: the measured window', () => {
  test('responses during the settling are not counted; the window opens once, after it', async () => {
    let opened = 0
    const outcome = await runLoad({ ...spec, settleS: 0.4, durationS: 0.6, onWindowStart: () => opened++ })
    expect(opened).toBe(1)
    expect(outcome.latenciesMs.length).toBeGreaterThan(0)
    expect(outcome.result['2xx']).toBeGreaterThan(outcome.latenciesMs.length) // the settling's answers, left out
    expect(outcome.statusCodes).toEqual({ 200: outcome.latenciesMs.length })
    expect(outcome.elapsedS).toBeGreaterThan(0.3)
    expect(outcome.elapsedS).toBeLessThan(2)
  })

  test('without settling the window is the whole run', async () => {
    let opened = 0
    const outcome = await runLoad({ ...spec, durationS: 0.5, onWindowStart: () => opened++ })
    expect(opened).toBe(1)
    expect(outcome.latenciesMs.length).toBe(outcome.result['2xx'])
  })
})
