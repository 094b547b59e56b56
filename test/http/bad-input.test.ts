import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildCorpus, corpusLimitsEnv, type BadCase } from '../../tools/bad-input/cases'
import { casesMarkdown } from '../../tools/bad-input/generate'
import { send, type WireResponse } from '../../tools/bad-input/wire'
import { base64, imageBytes, postJson, type ErrorJson, type PredictBody } from '../helpers/requests'
import { testApp } from '../helpers/test-app'

// The whole corpus through the real app and a real socket (raw wire bytes), in process: what the real
// models answer for good images is the end-to-end suite's job (test/e2e), so `cat` expectations are not
// checked here, only statuses, codes and shapes.

/**
 * After a full collection, what stays above the warm baseline of this process (MiB): garbage not yet
 * collected and pages mimalloc keeps mapped for reuse, not a leak. The 10 MB multipart field name and the
 * 1,000,000-deep JSON alone lift RSS until the next full collection. A leak of even 0.2 MiB per request
 * (525 requests) would break the bound; smaller leaks are the bench's job (`bun bench/fuzz.ts`, soaks).
 */
const RSS_AFTER_COLLECTION_MIB = 100

/** No response may carry a filesystem path, a source location or a stack frame. */
const LEAK = /\/work\/|\/home\/|\/tmp\/|node_modules|\.ts:\d+|\.js:\d+|\bat [\w.<>]+ \(|file:\/\/\/etc/

const app = testApp({ env: corpusLimitsEnv() })
const server = app.listen()
let corpus: BadCase[]
beforeAll(async () => {
  corpus = await buildCorpus()
})
afterAll(async () => {
  await server.stop()
})

/** This process's RSS after a full collection, MiB. */
function collectedRssMiB(): number {
  Bun.gc(true)
  return process.memoryUsage.rss() / 1024 / 1024
}

/** What the server said, checked against what the case expects; returns a line for the failure message. */
function verdict(c: BadCase, response: WireResponse): string | undefined {
  const got = { status: response.status, code: undefined as string | undefined, top1: undefined as number | undefined }
  let body: (Partial<ErrorJson> & Partial<PredictBody>) | undefined
  try {
    body = JSON.parse(response.text)
  } catch {
    body = undefined
  }
  got.code = body?.error?.code
  got.top1 = body?.predictions?.[0]?.[0]?.class_index
  const problems: string[] = []
  if (got.status !== c.expect.status) problems.push(`status ${got.status}`)
  if (c.expect.code !== undefined && got.code !== c.expect.code) problems.push(`code ${got.code}`)
  if (c.expect.status === 200 && !body?.predictions?.[0]?.length) problems.push('no predictions')
  if (body?.error && !body.error.request_id) problems.push('error without request_id')
  if (LEAK.test(response.text)) problems.push(`leaks a path or stack: ${response.text.slice(0, 200)}`)
  return problems.length ? `${c.name}: expected ${c.expect.status} ${c.expect.code ?? ''}, got ${problems.join(', ')}` : undefined
}

/** Sends every case in order, one at a time (a failure then points at one request); returns the mismatches. */
async function runCorpus(): Promise<string[]> {
  const mismatches: string[] = []
  for (const c of corpus) {
    const response = await send(server.url, c.request, 20_000).catch((error: unknown) => ({ status: 0, text: String(error) }))
    const problem = verdict(c, response)
    if (problem) mismatches.push(problem)
  }
  return mismatches
}

/** A good request: its top-1, which must not change after the corpus. */
const goodCat = async () => {
  const response = await postJson(`${server.url}/v1/predict`, { image: base64(await imageBytes('chelsea.jpg')) })
  expect(response.status).toBe(200)
  return ((await response.json()) as PredictBody).predictions[0]![0]!.class_index
}

describe('the bad-input corpus against the app on a real socket', () => {
  test('the corpus is big enough and its table (CASES.md) is up to date', async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40)
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length)
    const committed = readFileSync(join(import.meta.dir, '../../tools/bad-input/CASES.md'), 'utf8')
    expect(committed).toBe(casesMarkdown(corpus)) // regenerate with: bun tools/bad-input/generate.ts
  })

  test('every case gets its status and code, twice, and the app recovers with no leak', async () => {
    const reference = await goodCat() // warm: buffers and caches allocated before the baseline
    const before = collectedRssMiB()
    for (let pass = 1; pass <= 2; pass++) expect({ pass, mismatches: await runCorpus() }).toEqual({ pass, mismatches: [] })
    const after = collectedRssMiB()
    console.log(`bad-input corpus: ${corpus.length} cases ×2; RSS after a full collection ${before.toFixed(0)} → ${after.toFixed(0)} MiB`)
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200)
    expect(await goodCat()).toBe(reference)
    expect(after - before).toBeLessThan(RSS_AFTER_COLLECTION_MIB)
  }, 120_000)
})
