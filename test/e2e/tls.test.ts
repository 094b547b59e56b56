import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { launch, runToExit, SERVER_CMD, type ServerProcess } from '../../tools/process/launch'
import { makeTestCertificates, type TestCertificates } from '../../tools/tls/test-ca'
import { imageBytes, multipart, type PredictBody } from '../helpers/requests'
import { until } from '../helpers/until'

// HTTPS served by the server itself, with a certificate authority this test makes with openssl: a client that
// trusts that CA gets answers and verifies the chain; one that does not is refused.
let certs: TestCertificates
let server: ServerProcess
beforeAll(async () => {
  certs = makeTestCertificates()
  server = await launch({
    env: { BUN_INFER_WORKERS: '1', BUN_INFER_TLS_CERT_FILE: certs.serverCertFile, BUN_INFER_TLS_KEY_FILE: certs.serverKeyFile },
    ca: certs.caCert
  })
})
afterAll(async () => {
  await server?.stop()
  certs?.remove()
})

describe('direct TLS (BUN_INFER_TLS_CERT_FILE, BUN_INFER_TLS_KEY_FILE)', () => {
  test('a client trusting the CA classifies a photo over HTTPS, the chain verified', async () => {
    expect(server.url).toStartWith('https://127.0.0.1:')
    const response = await fetch(`${server.url}/v1/predict`, {
      method: 'POST',
      body: multipart([{ bytes: await imageBytes('chelsea.jpg') }]),
      tls: { ca: certs.caCert }
    })
    expect(response.status).toBe(200)
    expect(((await response.json()) as PredictBody).predictions[0]).toHaveLength(5)
    await until(() => server.logs.some((line) => line.includes('"tls":true')), { timeoutMs: 5000, what: 'the log says tls' })
  })

  test('a client trusting another CA is refused, and plain HTTP gets no answer', async () => {
    await expect(fetch(`${server.url}/health/live`, { tls: { ca: certs.otherCaCert } })).rejects.toThrow()
    await expect(fetch(`${server.url}/health/live`)).rejects.toThrow() // the system's CAs never signed it
    await expect(fetch(server.url.replace('https:', 'http:') + '/health/live', { signal: AbortSignal.timeout(2000) })).rejects.toThrow()
  })

  test('a certificate without its key, or a file that cannot be read, stops startup naming the setting', async () => {
    const halfway = await runToExit({ cmd: SERVER_CMD, env: { BUN_INFER_TLS_CERT_FILE: certs.serverCertFile }, timeoutMs: 30_000 })
    expect(halfway.code).not.toBe(0)
    expect(halfway.stderr).toContain('BUN_INFER_TLS_CERT_FILE and BUN_INFER_TLS_KEY_FILE go together')
    const missing = await runToExit({
      cmd: SERVER_CMD,
      env: { BUN_INFER_TLS_CERT_FILE: certs.serverCertFile, BUN_INFER_TLS_KEY_FILE: `${certs.dir}/nope.key` },
      timeoutMs: 30_000
    })
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain('BUN_INFER_TLS_KEY_FILE=')
    expect(missing.stderr).toContain('ENOENT')
  })
})
