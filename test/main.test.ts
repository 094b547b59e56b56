import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import pkg from '../package.json'
import { startServerProcess } from './helpers/server-process'

const ROOT = join(import.meta.dir, '..')
const run = (args: string[], env: Record<string, string> = {}) =>
  Bun.spawnSync(['bun', 'src/main.ts', ...args], { cwd: ROOT, stdin: 'ignore', env: { ...process.env, ...env } })

describe('the server entry point', () => {
  test('--help prints the flags and every variable, and exits 0 without starting', () => {
    const result = run(['--help'])
    expect(result.exitCode).toBe(0)
    const text = result.stdout.toString()
    for (const expected of ['--port', '--models-dir', 'BUN_INFER_MAX_QUEUE_IMAGES=256', 'PORT', 'OTEL_']) expect(text).toContain(expected)
  })

  test('--version prints the package version', () => {
    const result = run(['--version'])
    expect(result.exitCode).toBe(0)
    expect(result.stdout.toString().trim()).toBe(pkg.version)
  })

  test('an unknown flag still stops with exit 2 and names it', () => {
    const result = run(['--colour', 'red'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr.toString()).toContain('unknown flag --colour')
  })

  test('an unknown BUN_INFER_ variable: --strict stops startup naming it and the nearest setting', () => {
    const result = run(['--strict'], { BUN_INFER_WORKER: '4' })
    expect(result.exitCode).toBe(2)
    expect(result.stderr.toString()).toBe('bun-infer: unknown settings (--strict): BUN_INFER_WORKER (did you mean BUN_INFER_WORKERS?)\n')
  })

  test("--process-index is the supervisor's: without its IPC channel it stops with exit 2", () => {
    const result = run(['--process-index=0'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr.toString()).toContain('--process-index=K is given by the supervisor (BUN_INFER_PROCESSES)')
  })

  test('without --strict the server starts and warns once per unknown variable', async () => {
    const server = await startServerProcess({ BUN_INFER_WORKER: '4', BUN_INFER_WORKERS: '1' }, 'listening')
    try {
      const warnings = server.logs.filter((line) => line.includes('unknown setting, ignored')).map((line) => JSON.parse(line))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatchObject({ level: 'warn', variable: 'BUN_INFER_WORKER', did_you_mean: 'BUN_INFER_WORKERS' })
    } finally {
      await server.stop()
    }
  })
})
