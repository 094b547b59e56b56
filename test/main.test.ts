import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import pkg from '../package.json'

const ROOT = join(import.meta.dir, '..')
const run = (...args: string[]) => Bun.spawnSync(['bun', 'src/main.ts', ...args], { cwd: ROOT, stdin: 'ignore' })

describe('the server entry point', () => {
  test('--help prints the flags and every variable, and exits 0 without starting', () => {
    const result = run('--help')
    expect(result.exitCode).toBe(0)
    const text = result.stdout.toString()
    for (const expected of ['--port', '--models-dir', 'BUN_INFER_MAX_QUEUE_IMAGES=256', 'PORT', 'OTEL_']) expect(text).toContain(expected)
  })

  test('--version prints the package version', () => {
    const result = run('--version')
    expect(result.exitCode).toBe(0)
    expect(result.stdout.toString().trim()).toBe(pkg.version)
  })

  test('an unknown flag still stops with exit 2 and names it', () => {
    const result = run('--colour', 'red')
    expect(result.exitCode).toBe(2)
    expect(result.stderr.toString()).toContain('unknown flag --colour')
  })
})
