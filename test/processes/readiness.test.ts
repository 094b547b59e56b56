import { describe, expect, test } from 'bun:test'
import type { ContainerState } from '../../src/processes/protocol'
import { imageBytes, multipart } from '../helpers/requests'
import { testApp } from '../helpers/test-app'

// One of several server processes: its readiness answers for the container (what the supervisor last said), while
// what it serves depends on itself alone. The real processes: test/e2e/deploy/processes.test.ts.
describe('readiness of one of several server processes', () => {
  const container: { state: ContainerState } = { state: 'starting' }
  const app = testApp({ containerState: () => container.state })
  const ready = async () => {
    const v1 = await app.request('/health/ready')
    const v2 = await app.request('/v2/health/ready')
    return { v1: v1.status, body: await v1.json(), v2: v2.status }
  }

  test.each([
    ['starting', { v1: 503, body: { status: 'starting' }, v2: 400 }],
    ['degraded', { v1: 503, body: { status: 'degraded' }, v2: 400 }],
    ['ready', { v1: 200, body: { status: 'ok' }, v2: 200 }]
  ] as const)('the container %s: %o', async (state, expected) => {
    container.state = state
    expect(await ready()).toEqual(expected)
  })

  test('its own state comes first: a draining process says so whatever the container', async () => {
    container.state = 'ready'
    app.lifecycle.state = 'draining'
    try {
      expect(await ready()).toEqual({ v1: 503, body: { status: 'draining' }, v2: 400 })
    } finally {
      app.lifecycle.state = 'ready'
    }
  })

  test('while another process is replaced, this one still classifies: only the probe turns the container away', async () => {
    container.state = 'degraded'
    const response = await app.request('/v1/predict', {
      method: 'POST',
      body: multipart([{ bytes: await imageBytes('chelsea.jpg') }])
    })
    expect(response.status).toBe(200)
  })
})
