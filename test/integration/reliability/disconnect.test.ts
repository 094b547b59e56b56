import { afterAll, beforeAll, expect, test } from 'bun:test'
import { imageBytes, multipart } from '../../helpers/requests'
import { startServerProcess, type ServerProcess } from '../../helpers/server-process'

// CI-sized version of bench/reliability/disconnects.ts: clients that hang up while their images wait in
// the queue must cost no inference, and the server must count them in bun_infer_queue_skipped_total.
const cat = await imageBytes('chelsea.jpg')
let server: ServerProcess

beforeAll(async () => {
  // One worker: the queue grows behind it while decoding runs on both cores.
  server = await startServerProcess({ BUN_INFER_WORKERS: '1' })
})
afterAll(async () => {
  expect(await server.stop()).toBe(0)
})

const predict = (signal?: AbortSignal) =>
  fetch(`${server.url}/v1/predict`, { method: 'POST', body: multipart([{ bytes: cat }]), signal }).then(
    async (r) => (await r.arrayBuffer(), r.status),
    () => 0
  )

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  let sum = 0
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').pop())
  return sum
}

test('clients that disconnect while queued: their images are skipped, counted, and never inferred', async () => {
  const skippedBefore = await metric('bun_infer_queue_skipped_total')
  const inferredBefore = await metric('bun_infer_batch_size_sum')
  // 96 closed-loop fillers keep ~0.5 s of work queued in front of the leavers (one worker: ~150 img/s).
  let filling = true
  const filled: number[] = []
  const fillers = Array.from({ length: 96 }, async () => {
    while (filling) filled.push(await predict())
  })
  // Steady state once every filler has had one answer: the queue is then as deep as it gets.
  while (filled.length < 96) await Bun.sleep(5)
  const left = await Promise.all(Array.from({ length: 16 }, () => predict(AbortSignal.timeout(200))))
  filling = false
  await Promise.all(fillers)
  expect(filled.every((s) => s === 200)).toBe(true)
  expect(left.filter((s) => s === 0).length).toBeGreaterThan(0)

  // The server notices hang-ups asynchronously: wait until nothing is in flight.
  while ((await metric('bun_infer_requests_in_flight')) > 0) await Bun.sleep(5)
  const skipped = (await metric('bun_infer_queue_skipped_total')) - skippedBefore
  const inferred = (await metric('bun_infer_batch_size_sum')) - inferredBefore
  expect(skipped).toBeGreaterThan(0)
  // A skipped image is never inferred: everything inferred is a 200 or a leaver that was already running.
  const answered = filled.length + left.filter((s) => s === 200).length
  expect(inferred).toBeGreaterThanOrEqual(answered)
  expect(inferred + skipped).toBeLessThanOrEqual(answered + left.length)
}, 30_000)
