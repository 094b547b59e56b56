import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A certificate authority and a server certificate it signed for 127.0.0.1 and localhost, made by openssl for a test. */
export interface TestCertificates {
  dir: string
  caCert: string
  caCertFile: string
  serverCertFile: string
  serverKeyFile: string
  /** A second, unrelated CA: a client that trusts only it must refuse the server. */
  otherCaCert: string
  remove(): void
}

function openssl(dir: string, ...args: string[]): void {
  const run = Bun.spawnSync(['openssl', ...args], { cwd: dir, stdout: 'pipe', stderr: 'pipe' })
  if (run.exitCode !== 0) throw new Error(`openssl ${args.join(' ')}: ${run.stderr.toString()}`)
}

/** Makes the CA, the server key and certificate (SAN IP:127.0.0.1, DNS:localhost) with Debian's openssl. */
export function makeTestCertificates(): TestCertificates {
  if (!Bun.which('openssl')) throw new Error('openssl is not on PATH (Debian: apt-get install -y openssl)')
  const dir = mkdtempSync(join(tmpdir(), 'bun-infer-tls-'))
  for (const name of ['ca', 'other-ca'])
    openssl(
      dir,
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=bun-infer test ${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`
    )
  openssl(
    dir,
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'server.key',
    '-out',
    'server.csr'
  )
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'server.pem'
  )
  return {
    dir,
    caCert: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caCertFile: join(dir, 'ca.pem'),
    serverCertFile: join(dir, 'server.pem'),
    serverKeyFile: join(dir, 'server.key'),
    otherCaCert: readFileSync(join(dir, 'other-ca.pem'), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true })
  }
}
