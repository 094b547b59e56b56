import { afterAll, expect, test } from 'bun:test'
import { freePort } from '../../../tools/process/redis-server'
import type { ServerProcess } from '../../helpers/server-process'
import { startOnPort } from './replica'
import { until } from '../../helpers/until'

// Two server processes listening on one port (BUN_INFER_REUSE_PORT): the kernel spreads new
// connections over both. Without the flag the second process cannot bind.
const started: ServerProcess[] = []
afterAll(async () => {
  await Promise.all(started.map((server) => server.stop()))
})

test('N processes share one port with reusePort, and cannot without it', async () => {
  const port = await freePort()
  const env = (id: string) => ({ BUN_INFER_REUSE_PORT: 'true', BUN_INFER_WORKERS: '1', BUN_INFER_INSTANCE_ID: id })
  started.push(await startOnPort(port, env('a')))
  const b = await startOnPort(port, env('b'))
  started.push(b)
  // b's readiness probe may have been answered by a (same port): wait for b's own 'ready' log line.
  await until(() => b.logs.some((line) => line.includes('"msg":"ready"')))

  const servedBy = new Set<string>()
  // A new connection per request, so each one is a fresh pick by the kernel (hashing the 4-tuple):
  // 40 connections all landing on one of two processes would be a 2^-39 chance.
  for (let i = 0; i < 40 && servedBy.size < 2; i++) {
    const response = await fetch(`http://127.0.0.1:${port}/health/ready`, { headers: { connection: 'close' } })
    expect(response.status).toBe(200)
    servedBy.add(response.headers.get('x-served-by') ?? 'none')
  }
  expect([...servedBy].sort()).toEqual(['a', 'b'])

  await expect(startOnPort(port, { ...env('c'), BUN_INFER_REUSE_PORT: 'false' })).rejects.toThrow(/exited/)
}, 60_000)
