import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { corpusLimitsEnv } from '../../tools/bad-input/cases'
import { runFuzz } from '../../tools/bad-input/fuzz-run'
import { seedImages } from '../../tools/bad-input/mutate'
import { base64, imageBytes, postJson } from '../helpers/requests'
import { testApp } from '../helpers/test-app'

/**
 * Fixed seed, so CI runs the same requests every time and a failure replays with
 * `bun bench/fuzz.ts --seed 20251125 --only <index>`. In process the mutator and the app share one thread, so
 * CI sends 1,000 (about 2 s); `bun bench/fuzz.ts` runs long campaigns against a server process, other seeds too.
 */
const SEED = 20251125
const REQUESTS = 1000
const CONCURRENCY = 8

// The real app on a real socket (the mutator also breaks framing), in process: no model process is needed
// to prove that no mutation reaches a 5xx or drops a connection.
const server = testApp({ env: corpusLimitsEnv() }).listen()
let images: Uint8Array[]
beforeAll(async () => {
  images = await seedImages()
})
afterAll(async () => {
  await server.stop()
})

describe('seeded fuzz of the predict routes (the app on a real socket)', () => {
  test(`${REQUESTS} mutated requests: no 5xx, no dropped connection, the server stays up and right`, async () => {
    const report = await runFuzz({ url: server.url, images, seed: SEED, requests: REQUESTS, concurrency: CONCURRENCY })
    console.log(`fuzz seed ${SEED}: ${report.requests} requests in ${report.ms} ms`, JSON.stringify(report.outcomes))

    expect(report.failures).toEqual([])
    // Every answer is one of ours: a JSON error with a catalogued code, or a prediction.
    expect(Object.keys(report.outcomes).filter((o) => o.includes('not JSON'))).toEqual([])
    // The mutations must not collapse into one kind of rejection: some requests still decode and classify,
    // and several different checks fire.
    expect(report.outcomes['200'] ?? 0).toBeGreaterThan(REQUESTS * 0.05)
    expect(Object.keys(report.outcomes).length).toBeGreaterThanOrEqual(6)

    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200)
    const response = await postJson(`${server.url}/v1/predict`, { image: base64(await imageBytes('chelsea.jpg')) })
    expect(response.status).toBe(200)
  }, 90_000)
})
