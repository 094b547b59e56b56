import { afterAll, describe, expect, test } from 'bun:test'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

// tools/test-deps.sh run against a fake machine: PATH holds only stub commands (a recording apt-get, an `id` that
// says which user this is, and the tools said to be there), and TEST_DEPS_ROOT points its fixed paths
// (/usr/bin/chromium, /usr/sbin) into a temporary folder. Nothing is installed for real.
const SCRIPT = join(import.meta.dir, '../../tools/test-deps.sh')

/** Every Debian package the tests need, by the name apt-get gets. */
const PACKAGES = ['redis-server', 'chromium', 'prometheus', 'nginx', 'python3-requests', 'postgresql', 'openssl'] as const
type Package = (typeof PACKAGES)[number]

interface Machine {
  /** Packages whose tool is there; the others are missing. */
  present?: readonly Package[]
  /** What `id -u` says. Default 0 (root). */
  uid?: number
  /** 'records' (default): apt-get writes its arguments to a log and succeeds; 'fails': `install` exits 100. */
  aptGet?: 'records' | 'fails' | 'absent'
  /** Where a present nginx is: on PATH (default) or only in /usr/sbin, where Debian puts it. */
  nginxIn?: 'PATH' | 'sbin'
  /** A python3 without the requests module, when python3-requests is missing. */
  barePython?: boolean
}

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function stub(path: string, body: string): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
}

/** Runs the script on a fake machine; `aptGet` is every apt-get command line, in order. */
function runOn(machine: Machine = {}) {
  const { present = [], uid = 0, aptGet = 'records', nginxIn = 'PATH', barePython = false } = machine
  const dir = mkdtempSync(join(tmpdir(), 'bun-infer-test-deps-'))
  dirs.push(dir)
  const [bin, root, log] = [join(dir, 'bin'), join(dir, 'root'), join(dir, 'apt-get.log')]
  mkdirSync(bin)
  stub(join(bin, 'id'), `[ "$1" = "-u" ] && echo ${uid}`)
  if (aptGet !== 'absent')
    stub(join(bin, 'apt-get'), `echo "$*" >> '${log}'\n${aptGet === 'fails' ? '[ "$1" = install ] && exit 100\n' : ''}exit 0`)
  const places: Record<Package, string> = {
    'redis-server': join(bin, 'redis-server'),
    chromium: join(root, 'usr/bin/chromium'),
    prometheus: join(bin, 'promtool'),
    nginx: nginxIn === 'PATH' ? join(bin, 'nginx') : join(root, 'usr/sbin/nginx'),
    // A python3 that imports requests: the stub accepts any script.
    'python3-requests': join(bin, 'python3'),
    postgresql: join(root, 'usr/lib/postgresql/15/bin/initdb'),
    openssl: join(bin, 'openssl')
  }
  for (const pkg of present) stub(places[pkg], 'exit 0')
  if (barePython && !present.includes('python3-requests')) stub(join(bin, 'python3'), 'exit 1')

  const result = Bun.spawnSync(['/bin/bash', SCRIPT], { env: { PATH: bin, TEST_DEPS_ROOT: root }, stdin: 'ignore' })
  return {
    exitCode: result.exitCode,
    stdout: result.stdout.toString(),
    stderr: result.stderr.toString(),
    aptGet: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []
  }
}

/** The packages of the one `apt-get install` line, or undefined when apt-get installed nothing. */
function installed(aptGet: string[]): string[] | undefined {
  const installs = aptGet.filter((line) => line.startsWith('install '))
  expect(installs.length).toBeLessThanOrEqual(1)
  return installs[0]?.split(' ').filter((word) => !word.startsWith('-') && word !== 'install')
}

describe('as root with apt-get (a fresh machine, CI)', () => {
  test('on a bare machine it installs every package, by name, non-interactively, and exits 0', () => {
    const { exitCode, stdout, aptGet } = runOn()
    expect(exitCode).toBe(0)
    expect(aptGet).toEqual([`update -qq`, `install -y -qq --no-install-recommends ${PACKAGES.join(' ')}`])
    for (const pkg of PACKAGES) expect(stdout).toContain(`test-deps: missing ${pkg} (`)
  })

  // One missing at a time: each check finds its own tool and names its own package (a check split at a '|'
  // inside it once named none, and nginx was never installed).
  for (const pkg of PACKAGES)
    test(`with only ${pkg} missing, it installs ${pkg} alone`, () => {
      const { exitCode, stdout, aptGet } = runOn({ present: PACKAGES.filter((p) => p !== pkg) })
      expect(exitCode).toBe(0)
      expect(installed(aptGet)).toEqual([pkg])
      expect(stdout.trim().split('\n')[0]).toStartWith(`test-deps: missing ${pkg} (`)
    })

  test('with every tool there it installs nothing and says nothing', () => {
    const { exitCode, stdout, stderr, aptGet } = runOn({ present: PACKAGES })
    expect(exitCode).toBe(0)
    expect(aptGet).toEqual([])
    expect(stdout + stderr).toBe('')
  })

  test('nginx in /usr/sbin, off PATH as for a non-root user on Debian, counts as there', () => {
    const { exitCode, aptGet } = runOn({ present: PACKAGES, nginxIn: 'sbin' })
    expect(exitCode).toBe(0)
    expect(aptGet).toEqual([])
  })

  test('a python3 without the requests module still needs python3-requests', () => {
    const { aptGet } = runOn({ present: PACKAGES.filter((p) => p !== 'python3-requests'), barePython: true })
    expect(installed(aptGet)).toEqual(['python3-requests'])
  })

  test('when apt-get fails it says so and exits 1', () => {
    const { exitCode, stderr } = runOn({ present: ['chromium'], aptGet: 'fails' })
    expect(exitCode).toBe(1)
    expect(stderr).toBe('test-deps: apt-get could not install redis-server prometheus nginx python3-requests postgresql openssl\n')
  })
})

describe('where it cannot install (not root, or no apt-get)', () => {
  for (const machine of [{ uid: 1000 }, { aptGet: 'absent' as const }])
    test(`${JSON.stringify(machine)}: it names the packages and the command, installs nothing, and exits 1`, () => {
      const { exitCode, stdout, stderr, aptGet } = runOn(machine)
      expect(exitCode).toBe(1)
      expect(aptGet).toEqual([])
      for (const pkg of PACKAGES) expect(stdout).toContain(`test-deps: missing ${pkg} (`)
      expect(stderr).toBe(
        `test-deps: install them first, e.g. on Debian/Ubuntu: sudo apt-get install --no-install-recommends ${PACKAGES.join(' ')}\n`
      )
    })
})
