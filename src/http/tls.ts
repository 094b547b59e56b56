import { readFileSync } from 'node:fs'
import type { Config } from '../config/schema'

/**
 * The certificate and key to serve HTTPS with, read at startup (a missing or unreadable file stops startup with its
 * name), or undefined for plain HTTP. The two settings go together: one without the other is a mistake.
 */
export function tlsOptions(config: Pick<Config, 'tlsCertFile' | 'tlsKeyFile'>): { cert: string; key: string } | undefined {
  const { tlsCertFile, tlsKeyFile } = config
  if (!tlsCertFile && !tlsKeyFile) return undefined
  if (!tlsCertFile || !tlsKeyFile)
    throw new Error('BUN_INFER_TLS_CERT_FILE and BUN_INFER_TLS_KEY_FILE go together: set both to serve HTTPS, or neither')
  const read = (path: string, name: string) => {
    try {
      return readFileSync(path, 'utf8')
    } catch (error) {
      throw new Error(`${name}=${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
  }
  const cert = read(tlsCertFile, 'BUN_INFER_TLS_CERT_FILE')
  const key = read(tlsKeyFile, 'BUN_INFER_TLS_KEY_FILE')
  if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`BUN_INFER_TLS_CERT_FILE=${tlsCertFile} holds no PEM certificate`)
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(key)) throw new Error(`BUN_INFER_TLS_KEY_FILE=${tlsKeyFile} holds no PEM private key`)
  return { cert, key }
}
