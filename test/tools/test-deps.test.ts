import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Where apt-get cannot run (here: not on PATH), the script must say exactly what to install, and fail.
const SCRIPT = join(import.meta.dir, '../../tools/test-deps.sh')
const bin = mkdtempSync(join(tmpdir(), 'bun-infer-test-deps-'))
afterAll(() => rmSync(bin, { recursive: true, force: true }))

test('with the tools out of reach and no apt-get, it names the Debian packages and the command, and exits 1', () => {
  // Only `id` on PATH: redis-server, promtool, python3 and apt-get are all out of reach.
  symlinkSync(Bun.which('id')!, join(bin, 'id'))
  const result = Bun.spawnSync(['/bin/bash', SCRIPT], { env: { PATH: bin }, stdin: 'ignore' })
  expect(result.exitCode).toBe(1)
  const stdout = result.stdout.toString()
  const stderr = result.stderr.toString()
  for (const pkg of ['redis-server', 'prometheus', 'python3-requests']) expect(stdout).toContain(`test-deps: missing ${pkg} (`)
  // Every entry names its package: a check holding the field separator once split into an empty one.
  expect(stdout).not.toMatch(/missing +\(/)
  expect(stderr).toMatch(/sudo apt-get install --no-install-recommends .*redis-server prometheus.*python3-requests/)
})
