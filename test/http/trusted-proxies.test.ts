import { describe, expect, test } from 'bun:test'
import { clientId, markVerifiedKey } from '../../src/http/client-id'
import { TrustedProxies } from '../../src/http/trusted-proxies'
import { loadConfig } from '../../src/config/load'

describe('TrustedProxies', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1'])

  test.each([
    ['10.20.30.40', true],
    ['11.0.0.1', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['fd12::3', true],
    ['fe80::1', false],
    ['::1', true],
    // Bun reports IPv4 peers of a dual-stack socket as IPv4-mapped IPv6.
    ['::ffff:10.1.1.1', true],
    ['::ffff:11.1.1.1', false],
    ['not-an-ip', false]
  ])('has(%p) is %p', (address, trusted) => {
    expect(proxies.has(address)).toBe(trusted)
  })

  test.each([
    ['untrusted peer: the header is ignored (no spoofing)', '203.0.113.9', '1.2.3.4', '203.0.113.9'],
    ['trusted peer, no header', '10.0.0.1', null, '10.0.0.1'],
    ['trusted peer: the forwarded client', '10.0.0.1', '198.51.100.2', '198.51.100.2'],
    ['rightmost untrusted wins over a client-written left part', '10.0.0.1', '1.1.1.1, 198.51.100.2', '198.51.100.2'],
    ['our own proxies on the right are skipped', '10.0.0.1', '198.51.100.2, 10.0.0.9, 192.168.1.7', '198.51.100.2'],
    ['every hop trusted: the leftmost', '10.0.0.1', '10.0.0.3, 10.0.0.2', '10.0.0.3'],
    ['bracketed IPv6', '::1', '[2001:db8::5]', '2001:db8::5'],
    ['malformed rightmost hop: the peer', '10.0.0.1', '1.2.3.4, garbage', '10.0.0.1'],
    ['empty header: the peer', '10.0.0.1', '', '10.0.0.1']
  ])('clientAddress: %s', (_name, peer, header, expected) => {
    expect(proxies.clientAddress(peer, header)).toBe(expected)
  })

  test('no proxies configured: the peer, whatever the header says', () => {
    expect(new TrustedProxies([]).clientAddress('127.0.0.1', '8.8.8.8')).toBe('127.0.0.1')
  })

  test.each(['10.0.0.0/33', '10.0.0.0/', 'fd00::/129', 'localhost', '10.0.0.0/8/8', '10.0.0.0/x'])('rejects %p', (entry) => {
    expect(() => new TrustedProxies([entry])).toThrow('is not an IP address or CIDR')
  })
})

describe('clientId behind a proxy', () => {
  const proxies = new TrustedProxies(['127.0.0.1'])
  const request = (headers: Record<string, string>) => new Request('http://x/v1/predict', { method: 'POST', headers })

  test('two clients behind the same proxy are two clients', () => {
    const a = clientId(request({ 'x-forwarded-for': '198.51.100.1' }), '127.0.0.1', proxies)
    const b = clientId(request({ 'x-forwarded-for': '198.51.100.2' }), '127.0.0.1', proxies)
    expect(a).toBe('ip:198.51.100.1')
    expect(b).toBe('ip:198.51.100.2')
  })

  test('a direct client cannot pick its identity with the header', () => {
    expect(clientId(request({ 'x-forwarded-for': '198.51.100.1' }), '203.0.113.5', proxies)).toBe('ip:203.0.113.5')
  })

  test('a presented key nobody verified names nothing; a verified one names the client, forwarded or not', () => {
    const unverified = request({ 'x-forwarded-for': '198.51.100.1', 'x-api-key': 'k'.repeat(20) })
    expect(clientId(unverified, '127.0.0.1', proxies)).toBe('ip:198.51.100.1')
    const verified = request({ 'x-forwarded-for': '198.51.100.1', 'x-api-key': 'k'.repeat(20) })
    markVerifiedKey(verified, 'k'.repeat(20))
    expect(clientId(verified, '127.0.0.1', proxies).startsWith('key:')).toBe(true)
  })
})

describe('config', () => {
  test('BUN_INFER_TRUSTED_PROXIES is a comma-separated list', () => {
    expect(loadConfig({ BUN_INFER_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8' }).trustedProxies).toEqual(['127.0.0.1', '10.0.0.0/8'])
  })

  test('a bad entry stops startup, naming the variable', () => {
    expect(() => loadConfig({ BUN_INFER_TRUSTED_PROXIES: '10.0.0.0/40' })).toThrow('BUN_INFER_TRUSTED_PROXIES')
  })
})
