import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type NginxProcess, startNginx } from '../../../tools/process/nginx'
import { makeTestCertificates, type TestCertificates } from '../../../tools/tls/test-ca'
import { imageBytes, multipart } from '../../helpers/requests'
import { startServerProcess, type ServerProcess } from '../../helpers/server-process'

// The shipped nginx templates with HTTPS in front (bun-infer-tls.conf.template): Debian's nginx, a certificate
// authority made here with openssl, and a real replica behind it.
let certs: TestCertificates
let replica: ServerProcess
let nginx: NginxProcess
beforeAll(async () => {
  certs = makeTestCertificates()
  replica = await startServerProcess({
    BUN_INFER_WORKERS: '1',
    BUN_INFER_TRUSTED_PROXIES: '127.0.0.1',
    BUN_INFER_INSTANCE_ID: 'replica-tls'
  })
  nginx = await startNginx([{ port: replica.port }], {
    tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, hstsMaxAge: 600 }
  })
})
afterAll(async () => {
  await nginx?.stop()
  await replica?.stop()
  certs?.remove()
})

/** `openssl s_client` against nginx's HTTPS port with extra flags; its output and exit status. */
function sClient(...flags: string[]) {
  const port = new URL(nginx.httpsUrl!).port
  const run = Bun.spawnSync(['openssl', 's_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', ...flags], {
    stdin: new TextEncoder().encode('')
  })
  return { code: run.exitCode, output: run.stdout.toString() + run.stderr.toString() }
}

describe('HTTPS through nginx', () => {
  test('a client trusting the CA classifies a photo through nginx; HSTS is sent; the chain verifies', async () => {
    const response = await fetch(`${nginx.httpsUrl}/v1/predict`, {
      method: 'POST',
      body: multipart([{ bytes: await imageBytes('chelsea.jpg') }]),
      tls: { ca: certs.caCert }
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-served-by')).toBe('replica-tls')
    expect(response.headers.get('strict-transport-security')).toBe('max-age=600')
    const verified = sClient('-CAfile', certs.caCertFile, '-verify_return_error', '-alpn', 'h2')
    expect(verified.output).toContain('Verify return code: 0 (ok)')
    expect(verified.output).toContain('ALPN protocol: h2')
  })

  test('plain HTTP only redirects to HTTPS, keeping the path', async () => {
    const response = await fetch(`${nginx.url}/v1/models?x=1`, { redirect: 'manual' })
    expect(response.status).toBe(301)
    expect(response.headers.get('location')).toBe(`${nginx.httpsUrl}/v1/models?x=1`)
  })

  test('TLS 1.1 is refused, TLS 1.3 accepted; a client trusting another CA is refused', async () => {
    expect(sClient('-tls1_1').code).not.toBe(0)
    expect(sClient('-tls1_3', '-CAfile', certs.caCertFile).output).toContain('TLSv1.3')
    await expect(fetch(`${nginx.httpsUrl}/health/live`, { tls: { ca: certs.otherCaCert } })).rejects.toThrow()
  })
})
