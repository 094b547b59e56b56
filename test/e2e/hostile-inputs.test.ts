import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { lyingHeaderJpeg, manyScanJpeg, pngBomb } from '../helpers/hostile-images'
import { imageBytes, multipart, type ErrorJson } from '../helpers/requests'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

// One request at a time against a real server: each hostile request gets its 4xx within a second, the server's peak
// RSS while it is handled stays within 200 MB of where it started, and a good request is answered right after.
// (Floods, slow uploads and Node's fetch: test/e2e/upload-refusals.test.ts; made-up keys: the second describe.)
const MiB = 1024 * 1024
const cat = await imageBytes('chelsea.jpg')
let server: ServerProcess

beforeAll(async () => {
  server = await startServerProcess({ BUN_INFER_WORKERS: '1' })
})
afterAll(async () => {
  await server?.stop('SIGKILL')
})

/** The kernel's counters for the server process: resident now, and the peak since the last reset. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024
  return { rss: kib('VmRSS'), peak: kib('VmHWM') }
}

/** Sends one request and reports its answer, how long it took, and how far the server's RSS peaked above its start. */
async function once(path: string, init: RequestInit) {
  writeFileSync(`/proc/${server.pid}/clear_refs`, '5') // resets VmHWM to the current RSS
  const before = memory(server.pid).rss
  const started = performance.now()
  const response = await fetch(`${server.url}${path}`, { method: 'POST', ...init })
  const body = await response.text()
  return { status: response.status, body, ms: performance.now() - started, growth: memory(server.pid).peak - before }
}

const predict = async (bytes: Uint8Array) => once('/v1/predict', { body: multipart([{ bytes }]) })

async function expectGoodAnswer(): Promise<void> {
  const response = await fetch(`${server.url}/v1/predict`, { method: 'POST', body: multipart([{ bytes: cat }]) })
  expect(response.status).toBe(200)
}

function expectRefused(result: Awaited<ReturnType<typeof once>>, status: number, code: string | RegExp): void {
  expect(result.status).toBe(status)
  if (typeof code === 'string') expect((JSON.parse(result.body) as ErrorJson).error.code).toBe(code)
  else expect(result.body).toMatch(code)
  expect(result.ms).toBeLessThan(1000)
  expect(result.growth).toBeLessThan(200 * MiB)
}

describe('hostile inputs, one request each, against a real server', () => {
  const cases: Array<[string, () => Promise<Awaited<ReturnType<typeof once>>>, number, string | RegExp]> = [
    [
      'a JPEG whose TEM marker hides its real 20000×20000 frame',
      async () => predict(await lyingHeaderJpeg(20_000, 20_000)),
      413,
      'image_too_large'
    ],
    [
      'a JPEG whose TEM marker hides a 65500×65500 frame',
      async () => predict(await lyingHeaderJpeg(65_500, 65_500)),
      413,
      'image_too_large'
    ],
    ['a progressive JPEG of 5,000 scans', async () => predict(await manyScanJpeg(5_000)), 413, 'image_too_large'],
    ['a PNG decompression bomb (50000×50000)', async () => predict(pngBomb(50_000, 50_000)), 413, 'image_too_large'],
    [
      'a /v1 JSON body nested 1,000,000 deep',
      async () => once('/v1/predict', { headers: { 'content-type': 'application/json' }, body: '['.repeat(1_000_000) }),
      400,
      'malformed_request'
    ],
    [
      'a gzip /v2 body declaring 6,000,000 BYTES elements',
      async () => {
        const json = `{"inputs":[{"name":"image","shape":[6000000],"datatype":"BYTES","data":[${'"a",'.repeat(5_999_999)}"a"]}]}`
        return once('/v2/models/mobilenetv2/infer', {
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          body: gzipSync(json)
        })
      },
      413,
      /"error"/
    ],
    [
      'a /v2 shape of 2147483647 × 2147483647',
      async () =>
        once('/v2/models/mobilenetv2/infer', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: [{ name: 'image', shape: [2147483647, 2147483647], datatype: 'BYTES', data: ['a'] }] })
        }),
      413,
      /"error"/
    ]
  ]
  for (const [name, send, status, code] of cases)
    test(name, async () => {
      expectRefused(await send(), status, code)
      await expectGoodAnswer()
    }, 30_000)
})

describe('made-up API keys do not escape the rate limit', () => {
  let limited: ServerProcess
  beforeAll(async () => {
    limited = await startServerProcess({ BUN_INFER_WORKERS: '1', BUN_INFER_RATE_LIMIT_PER_SECOND: '2', BUN_INFER_RATE_LIMIT_BURST: '3' })
  })
  afterAll(async () => {
    await limited?.stop('SIGKILL')
  })

  test('30 requests in a row, each with its own made-up key, auth off: most are refused 429', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 30; i++) {
      const response = await fetch(`${limited.url}/v1/models`, { headers: { 'x-api-key': `made-up-${i}-${crypto.randomUUID()}` } })
      await response.arrayBuffer()
      statuses.push(response.status)
    }
    // A burst of 3 and 2 per second: over however long 30 requests take here, only a few more than 3 get through.
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(20)
  }, 30_000)
})
