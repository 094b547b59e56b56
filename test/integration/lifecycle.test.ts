import { describe, expect, test } from 'bun:test'
import { cpSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { editManifest, tempModelRepo } from '../helpers/model-repo'
import { CAT_CLASSES, imageBytes, multipart, type ErrorJson, type PredictBody } from '../helpers/requests'
import { startServerProcess } from '../helpers/server-process'

const cat = await imageBytes('chelsea.jpg')
const predict = (url: string, images = 1, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/predict`, { method: 'POST', headers, body: multipart(Array(images).fill({ bytes: cat })) })
const codeOf = async (response: Response) => ((await response.json()) as ErrorJson).error.code

/** Runs `bun src/main.ts` to completion with the given env and returns its exit code and stderr. */
async function runToExit(env: Record<string, string>) {
  const proc = Bun.spawn(['bun', 'src/main.ts', '--port', '0', '--host', '127.0.0.1'], {
    cwd: join(import.meta.dir, '../..'),
    env: { ...process.env, ...env },
    stdout: 'ignore',
    stderr: 'pipe'
  })
  try {
    return { code: await proc.exited, stderr: await new Response(proc.stderr).text() }
  } finally {
    proc.kill('SIGKILL')
  }
}

describe('startup', () => {
  test('503 not_ready (predict and readiness) while models load, then 200', async () => {
    // Twelve copies of the model make loading take seconds, so "loading" is observable without races.
    const repo = tempModelRepo((dir) => {
      for (let i = 0; i < 12; i++) {
        cpSync(join(dir, 'mobilenetv2'), join(dir, `copy${i}`), { recursive: true })
        editManifest(dir, `copy${i}`, (m) => (m.name = `copy${i}`))
      }
    })
    const server = await startServerProcess({ BUN_INFER_MODELS_DIR: repo.dir }, 'listening')
    try {
      const ready = await fetch(`${server.url}/health/ready`)
      expect(ready.status).toBe(503)
      expect(await ready.json()).toEqual({ status: 'starting' })
      expect((await fetch(`${server.url}/health/live`)).status).toBe(200)
      const early = await predict(server.url)
      expect(early.status).toBe(503)
      expect(await codeOf(early)).toBe('not_ready')
    } finally {
      await server.stop()
      repo.dispose()
    }
  })

  const broken: Array<[string, (dir: string) => void, RegExp]> = [
    ['a bad manifest', (d) => editManifest(d, 'shufflenetv2', (m) => (m.batching.maxBatchSize = 'lots')), /shufflenetv2\/model\.json: field "batching\.maxBatchSize"/],
    ['a corrupt .onnx', (d) => writeFileSync(join(d, 'shufflenetv2/1/model.onnx'), 'not onnx'), /shufflenetv2\/1\/model\.onnx: cannot load as ONNX/],
    ['a wrong input name', (d) => editManifest(d, 'mobilenetv2', (m) => (m.input.name = 'pixels')), /mobilenetv2\/1\/model\.onnx .*field "input\.name"/]
  ]
  for (const [name, breakIt, message] of broken)
    test(`${name} stops startup with one message naming the file and field`, async () => {
      const repo = tempModelRepo(breakIt)
      try {
        const { code, stderr } = await runToExit({ BUN_INFER_MODELS_DIR: repo.dir })
        expect(code).not.toBe(0)
        // Exactly one line, and it names the file and field (a failure shows every line printed).
        expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(message)])
      } finally {
        repo.dispose()
      }
    })

  test('an invalid setting stops startup naming the variable', async () => {
    const { code, stderr } = await runToExit({ BUN_INFER_WORKERS: 'many' })
    expect(code).toBe(2)
    expect(stderr).toContain('BUN_INFER_WORKERS')
  })
})

describe('overload and faults', () => {
  test('a full queue answers 429 queue_full with Retry-After; everything admitted succeeds', async () => {
    const server = await startServerProcess({ BUN_INFER_WORKERS: '1', BUN_INFER_MAX_QUEUE_IMAGES: '2', BUN_INFER_MAX_BATCH_SIZE: '1' })
    try {
      const responses = await Promise.all(Array.from({ length: 24 }, () => predict(server.url)))
      const statuses = responses.map((r) => r.status)
      expect(statuses).toContain(429)
      expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([])
      const rejected = responses.find((r) => r.status === 429)!
      expect(Number(rejected.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(await codeOf(rejected)).toBe('queue_full')
      for (const r of responses.filter((r) => r.status === 200))
        expect(CAT_CLASSES).toContain(((await r.json()) as PredictBody).predictions[0]![0]!.class_index)
    } finally {
      await server.stop()
    }
  })

  test('a worker dying mid-batch fails that batch with 503 worker_lost; it is replaced and later requests succeed', async () => {
    const server = await startServerProcess({ BUN_INFER_WORKERS: '1', BUN_INFER_ENABLE_FAULT_INJECTION: 'true' })
    try {
      const crashed = await predict(server.url, 1, { 'x-bun-infer-fault': 'crash' })
      expect(crashed.status).toBe(503)
      expect(await codeOf(crashed)).toBe('worker_lost')
      // The replacement loads in the background; requests queue until it is ready, none is lost.
      const after = await Promise.all(Array.from({ length: 4 }, () => predict(server.url)))
      expect(after.map((r) => r.status)).toEqual([200, 200, 200, 200])
      const metrics = await (await fetch(`${server.url}/metrics`)).text()
      expect(metrics).toContain('bun_infer_worker_restarts_total 1')
    } finally {
      await server.stop()
    }
  })

  test('a worker that hangs mid-batch is terminated by the watchdog: 503 worker_lost, replaced, later requests succeed', async () => {
    const server = await startServerProcess({ BUN_INFER_WORKERS: '1', BUN_INFER_ENABLE_FAULT_INJECTION: 'true', BUN_INFER_BATCH_TIMEOUT_MS: '500' })
    try {
      const started = performance.now()
      const hung = await predict(server.url, 1, { 'x-bun-infer-fault': 'hang' })
      expect(hung.status).toBe(503)
      expect(await codeOf(hung)).toBe('worker_lost')
      expect(performance.now() - started).toBeLessThan(20_000) // the watchdog, not the 30 s request deadline
      const after = await Promise.all(Array.from({ length: 4 }, () => predict(server.url)))
      expect(after.map((r) => r.status)).toEqual([200, 200, 200, 200])
      expect(await (await fetch(`${server.url}/metrics`)).text()).toContain('bun_infer_worker_restarts_total 1')
    } finally {
      await server.stop()
    }
  })

  test('the fault hook is refused unless enabled', async () => {
    const server = await startServerProcess()
    try {
      const response = await predict(server.url, 1, { 'x-bun-infer-fault': 'crash' })
      expect(response.status).toBe(422)
    } finally {
      await server.stop()
    }
  })
})

describe('shutdown', () => {
  test('SIGTERM under load: readiness 503, new requests 503 draining, every accepted request finishes, exit 0', async () => {
    const server = await startServerProcess()
    try {
      // 12 requests × 4 images keep the server busy for a while on 2 cores.
      const accepted = Array.from({ length: 12 }, () => predict(server.url, 4))
      // Wait until the server really holds them (a condition, not a sleep).
      for (;;) {
        const metrics = await (await fetch(`${server.url}/metrics`)).text()
        if (Number(/bun_infer_requests_in_flight (\d+)/.exec(metrics)?.[1]) >= 6) break
      }
      server.proc.kill('SIGTERM')
      for (;;) if ((await fetch(`${server.url}/health/ready`)).status === 503) break
      const late = await predict(server.url)
      expect(late.status).toBe(503)
      expect(late.headers.get('connection')).toBe('close') // keep-alive clients move on instead of reusing the socket
      expect(await codeOf(late)).toBe('draining')
      const responses = await Promise.all(accepted)
      expect(responses.map((r) => r.status)).toEqual(Array(12).fill(200))
      expect(await server.proc.exited).toBe(0)
      expect(server.logs.some((l) => l.includes('"msg":"stopped"') && l.includes('"drained":true'))).toBe(true)
    } finally {
      await server.stop('SIGKILL')
    }
  })
})
