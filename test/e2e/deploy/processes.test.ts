import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { launch, runToExit, SERVER_CMD, type ServerProcess } from '../../../tools/process/launch'
import { tempModelRepo } from '../../../tools/model-repo'
import { imageBytes, multipart } from '../../helpers/requests'
import { jobForm, resultLines } from '../../helpers/jobs'
import { until } from '../../helpers/until'

// One container for a whole host (BUN_INFER_PROCESSES=2): a supervisor and two real server processes on one
// ephemeral port. The tests run in order on one container, ending with its SIGTERM. Each request opens a fresh
// connection (connection: close), so the kernel picks a process for each: 40 landing on one of two is a 2^-39 chance.
const PREDICT = 'route="/v1/predict",method="POST",status="200"'
let server: ServerProcess
let cat: Uint8Array

beforeAll(async () => {
  cat = await imageBytes('chelsea.jpg')
  // --strict: the setting is known. One worker each, so two processes stay light on a 2-core machine.
  server = await launch({
    cmd: [...SERVER_CMD, '--strict'],
    env: {
      BUN_INFER_PROCESSES: '2',
      BUN_INFER_WORKERS: '1',
      BUN_INFER_INSTANCE_ID: 'c',
      BUN_INFER_LOG_LEVEL: 'info',
      BUN_INFER_MAX_CACHE_ENTRIES: '0'
    },
    waitFor: 'listening'
  })
}, 60_000)
afterAll(async () => {
  // Stopped by the last test unless one failed first; SIGTERM, so the supervisor stops its processes (and one whose
  // supervisor is gone leaves by itself: main.ts drains on the IPC channel's disconnect).
  await server?.stop()
})

/** A request on a new connection; `servedBy` is the process that answered (c/0 or c/1). */
async function fresh(path: string, init: RequestInit = {}) {
  const response = await fetch(server.url + path, { ...init, headers: { connection: 'close' } })
  return { status: response.status, servedBy: response.headers.get('x-served-by'), text: await response.text() }
}

const predict = () => fresh('/v1/predict', { method: 'POST', body: multipart([{ bytes: cat }]) })

/** The value of one series in a scrape; NaN when absent. */
const series = (text: string, name: string) =>
  Number(
    text
      .split('\n')
      .find((line) => line.startsWith(`${name} `))
      ?.split(' ')[1] ?? NaN
  )

/** Each server process's pid, by index: the latest the supervisor started. */
function childPids(): Record<number, number> {
  const pids: Record<number, number> = {}
  for (const line of server?.logs ?? [])
    if (line.includes('"msg":"server process started"')) {
      const { process: index, pid } = JSON.parse(line) as { process: number; pid: number }
      pids[index] = pid
    }
  return pids
}

/** Whether a process exists (signal 0 checks without sending). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('BUN_INFER_PROCESSES=2: one container, two server processes', () => {
  test('readiness is 503 until both processes are ready', async () => {
    const statuses = new Set<number>()
    for (;;) {
      const { status } = await fresh('/health/ready')
      statuses.add(status)
      if (status === 200) break
    }
    expect(statuses.has(503)).toBe(true) // it was polled from the moment the first process listened
    // The first 200 came only once the supervisor counted both ready.
    const scrape = (await fresh('/metrics')).text
    expect(series(scrape, 'bun_infer_server_processes{state="ready"}')).toBe(2)
    expect(series(scrape, 'bun_infer_server_processes{state="configured"}')).toBe(2)
  }, 60_000)

  test('both processes serve the one port the first was given', async () => {
    const servedBy = new Set<string | null>()
    for (let i = 0; i < 40 && servedBy.size < 2; i++) servedBy.add((await fresh('/health/ready')).servedBy)
    expect([...servedBy].sort()).toEqual(['c/0', 'c/1'])
    const pids = Object.values(childPids())
    expect(pids).toHaveLength(2)
    expect(new Set(pids).size).toBe(2)
  })

  test('/metrics counts the predictions of both, whichever process is scraped', async () => {
    const servedBy = new Set<string | null>()
    let sent = 0
    for (; sent < 40 && (sent < 6 || servedBy.size < 2); sent++) {
      const answer = await predict()
      expect(answer.status).toBe(200)
      servedBy.add(answer.servedBy)
    }
    expect(servedBy.size).toBe(2)
    // The last answer's count is added just after it is sent (an after-response hook): wait for it once.
    await until(async () => series((await fresh('/metrics')).text, `bun_infer_http_requests_total{${PREDICT}}`) === sent)
    const scrapedBy = new Set<string | null>()
    for (let i = 0; i < 40 && scrapedBy.size < 2; i++) {
      const scrape = await fresh('/metrics')
      scrapedBy.add(scrape.servedBy)
      expect(series(scrape.text, `bun_infer_http_requests_total{${PREDICT}}`)).toBe(sent)
      expect(series(scrape.text, `bun_infer_http_request_duration_seconds_count{${PREDICT}}`)).toBe(sent)
      expect(series(scrape.text, 'bun_infer_model_info{model="mobilenetv2",version="1"}')).toBe(1)
      expect(series(scrape.text, 'bun_infer_server_processes{state="scraped"}')).toBe(2)
    }
    expect([...scrapedBy].sort()).toEqual(['c/0', 'c/1'])
  }, 30_000)

  test('a job taken by either process completes: the first works on the jobs, both answer for them', async () => {
    const photos = [
      { name: 'a.jpg', bytes: cat },
      { name: 'notes.txt', bytes: new TextEncoder().encode('text') }
    ]
    // Fresh connections until the second process (which stores jobs but does not work on them) takes one.
    let accepted: { servedBy: string | null; id: string } | undefined
    for (let i = 0; i < 40 && accepted?.servedBy !== 'c/1'; i++) {
      const response = await fetch(`${server.url}/v1/jobs`, { method: 'POST', headers: { connection: 'close' }, body: jobForm(photos) })
      expect(response.status).toBe(202)
      accepted = { servedBy: response.headers.get('x-served-by'), id: ((await response.json()) as { id: string }).id }
      await resultLines(await fetch(`${server.url}/v1/jobs/${accepted.id}/results`, { headers: { connection: 'close' } }))
    }
    expect(accepted?.servedBy).toBe('c/1')
    const readBy = new Set<string | null>()
    for (let i = 0; i < 40 && readBy.size < 2; i++) {
      const status = await fresh(`/v1/jobs/${accepted!.id}`)
      readBy.add(status.servedBy)
      expect(JSON.parse(status.text)).toMatchObject({ status: 'completed', images: { done: 1, failed: 1 } })
    }
    expect(readBy.size).toBe(2)
  }, 60_000)

  test('SIGKILL of one: the other keeps answering, readiness is 503 until it is replaced, then both serve', async () => {
    const predictions = async () => series((await fresh('/metrics')).text, `bun_infer_http_requests_total{${PREDICT}}`)
    const countedBefore = await predictions() // the last scrape of the process about to die: its counts are kept
    const killed = childPids()[1]!
    process.kill(killed, 'SIGKILL')
    await until(() => server.logs.some((line) => line.includes('"msg":"server process exited; restarting it"')))
    let survivorSaid503 = false
    let sentSince = 0
    for (;;) {
      expect((await predict()).status).toBe(200) // every fresh connection lands on a process that serves
      sentSince++
      const ready = await fresh('/health/ready')
      // The survivor is ready itself: a 503 from it is the container's readiness, not its own.
      if (ready.servedBy === 'c/0' && ready.status === 503) survivorSaid503 = true
      if (ready.status === 200) break
    }
    expect(survivorSaid503).toBe(true)
    expect(alive(killed)).toBe(false)
    expect(childPids()[1]).not.toBe(killed)
    const servedBy = new Set<string | null>()
    for (let i = 0; i < 40 && servedBy.size < 2; i++) servedBy.add((await fresh('/health/ready')).servedBy)
    expect(servedBy.size).toBe(2)
    expect(series((await fresh('/metrics')).text, 'bun_infer_server_process_restarts_total')).toBe(1)
    // The dead process's predictions stay counted: the total never steps back (Prometheus would read a reset).
    await until(async () => (await predictions()) === countedBefore + sentSince)
  }, 30_000)

  test('SIGTERM: a prediction admitted before it is answered, every process exits, the container exits 0', async () => {
    const pids = Object.values(childPids())
    // Sixteen images on one worker take a while: SIGTERM is sent once the request is in flight.
    const inFlight = fresh('/v1/predict', { method: 'POST', body: multipart(Array.from({ length: 16 }, () => ({ bytes: cat }))) })
    await until(async () => series((await fresh('/metrics')).text, 'bun_infer_requests_in_flight') >= 1)
    const exitCode = server.stop('SIGTERM')
    expect((await inFlight).status).toBe(200)
    expect(await exitCode).toBe(0)
    expect(pids.filter(alive)).toEqual([])
    expect(server.logs.filter((line) => line.includes('"msg":"stopped"') && line.includes('"drained":true'))).toHaveLength(2)
  }, 30_000)
})

test('a process that cannot start stops the container with its status, as one process would', async () => {
  const repo = tempModelRepo((dir) => writeFileSync(join(dir, 'shufflenetv2/1/model.onnx'), 'not onnx'))
  try {
    const { code, stderr, stdout } = await runToExit({ env: { BUN_INFER_PROCESSES: '2', BUN_INFER_MODELS_DIR: repo.dir } })
    expect(code).toBe(1)
    expect(stderr).toContain('shufflenetv2/1/model.onnx: cannot load as ONNX')
    expect(stdout).toContain('"msg":"server process exited before it was ready; stopping"')
    // Not restarted in a loop: each process was started once.
    expect(stdout.split('\n').filter((line) => line.includes('"msg":"server process started"'))).toHaveLength(2)
  } finally {
    repo.dispose()
  }
}, 60_000)
