import { describe, expect, test } from 'bun:test'
import { imageBytes, multipart } from '../helpers/requests'
import { testApp } from '../helpers/test-app'

// What the client got must be what /metrics counts and what the log line says.
const logs: string[] = []
const app = testApp({ logs, env: { BUN_INFER_LOG_LEVEL: 'info' } })

/** The value of one sample of bun_infer_http_requests_total, 0 when absent. */
function requestsCounted(scrape: string, labels: { route: string; method: string; status: number }): number {
  const wanted = `bun_infer_http_requests_total{route="${labels.route}",method="${labels.method}",status="${labels.status}"}`
  const line = scrape.split('\n').find((l) => l.startsWith(wanted + ' '))
  return line ? Number(line.slice(wanted.length + 1)) : 0
}

/** Sends a request with a known id; returns the response, its body and its request log line (after the hooks ran). */
async function send(path: string, init: RequestInit & { id: string }) {
  const response = await app.request(path, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-request-id': init.id } })
  const body = await response.text()
  await app.afterResponses()
  const log = logs.map((line) => JSON.parse(line)).find((line) => line.msg === 'request' && line.request_id === init.id)
  return { response, body, log }
}

const scrape = async () => (await app.request('/metrics')).text()

describe('the status a client gets is the status counted and logged', () => {
  test('unknown route: 404 not_found, counted and logged as 404', async () => {
    const { response, body, log } = await send('/no/such/route', { id: 'obs-404' })
    expect(response.status).toBe(404)
    expect(JSON.parse(body).error.code).toBe('not_found')
    expect(log).toMatchObject({ status: 404, route: 'unmatched' })
  })

  test('a known path with the wrong method: 405 method_not_allowed with Allow', async () => {
    const { response, body, log } = await send('/v1/predict', { id: 'obs-405', method: 'GET' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('POST')
    expect(JSON.parse(body).error.code).toBe('method_not_allowed')
    expect(log?.status).toBe(405)
    expect((await send('/v1/models/mobilenetv2/predict', { id: 'obs-405b', method: 'DELETE' })).response.status).toBe(405)
    const read = await send('/v1/models', { id: 'obs-405c', method: 'POST' })
    expect(read.response.status).toBe(405)
    expect(read.response.headers.get('allow')).toBe('GET')
  })

  test('a route error (415) is logged with its number and counted under its route', async () => {
    const { response, log } = await send('/v1/predict', {
      id: 'obs-415',
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x'
    })
    expect(response.status).toBe(415)
    expect(log).toMatchObject({ status: 415, route: '/v1/predict', method: 'POST' })
  })

  test('a success is 200 in the log, and /metrics agrees with every answer above', async () => {
    const { response, log } = await send('/v1/predict', {
      id: 'obs-200',
      method: 'POST',
      body: multipart([{ bytes: await imageBytes('chelsea.jpg') }])
    })
    expect(response.status).toBe(200)
    expect(log?.status).toBe(200)
    const text = await scrape()
    expect(requestsCounted(text, { route: 'unmatched', method: 'GET', status: 404 })).toBe(1)
    expect(requestsCounted(text, { route: 'unmatched', method: 'GET', status: 405 })).toBe(1)
    expect(requestsCounted(text, { route: '/v1/predict', method: 'POST', status: 415 })).toBe(1)
    expect(requestsCounted(text, { route: '/v1/predict', method: 'POST', status: 200 })).toBe(1)
    // Nothing that was an error is counted as a success.
    expect(requestsCounted(text, { route: 'unmatched', method: 'GET', status: 200 })).toBe(0)
  })
})

describe('logs and metrics fit the tools that read them', () => {
  test('health probes and metric scrapes are not logged at info', async () => {
    const before = logs.length
    for (const path of ['/health/live', '/health/ready', '/metrics']) expect((await app.request(path)).status).toBe(200)
    await send('/v1/models', { id: 'obs-after-probes' })
    const lines = logs.slice(before).map((line) => JSON.parse(line))
    expect(lines.filter((l) => l.msg === 'request').map((l) => l.route)).toEqual(['/v1/models'])
  })

  test('process metrics carry their standard names, not our prefix', async () => {
    const text = await scrape()
    expect(text).toMatch(/^process_cpu_seconds_total /m)
    expect(text).toMatch(/^process_resident_memory_bytes /m)
    expect(text).not.toContain('bun_infer_process_')
    expect(text).not.toContain('bun_infer_nodejs_')
  })

  const promtool = Bun.which('promtool')
  // CI installs promtool (Debian package prometheus, via tools/test-deps.sh); elsewhere this skips without it.
  test.skipIf(!promtool && !process.env.CI)('promtool check metrics finds nothing to complain about', async () => {
    expect(promtool, 'promtool is not installed (apt-get install prometheus)').toBeTruthy()
    const check = Bun.spawnSync([promtool!, 'check', 'metrics'], { stdin: new TextEncoder().encode(await scrape()) })
    expect(check.stdout.toString() + check.stderr.toString()).toBe('')
    expect(check.exitCode).toBe(0)
  })
})
