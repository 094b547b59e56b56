import { BlockList, isIP } from 'node:net'

/**
 * The proxies (load balancers) whose `X-Forwarded-For` we believe. Anyone else can write that header, so
 * from a direct client it is ignored and the socket address is the client.
 */
export class TrustedProxies {
  private readonly list = new BlockList()
  readonly size: number

  /** Entries are IPs (`10.0.0.5`, `::1`) or CIDRs (`10.0.0.0/8`, `fd00::/8`); throws on anything else. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) this.add(entry.trim())
    this.size = entries.length
  }

  private add(entry: string): void {
    const [address = '', prefix, extra] = entry.split('/')
    const family = isIP(address)
    const bits = prefix === undefined ? undefined : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN
    const validBits = bits === undefined || bits <= (family === 6 ? 128 : 32) // NaN fails here too
    if (family === 0 || extra !== undefined || !validBits)
      throw new Error(`trusted proxy "${entry}" is not an IP address or CIDR (e.g. 10.0.0.0/8, ::1)`)
    const type = family === 6 ? 'ipv6' : 'ipv4'
    if (bits === undefined) this.list.addAddress(address, type)
    else this.list.addSubnet(address, bits, type)
  }

  /** Whether this address (IPv4, IPv6, or IPv4-mapped IPv6 as Bun reports dual-stack peers) is a trusted proxy. */
  has(address: string): boolean {
    if (this.size === 0) return false
    const family = isIP(address)
    if (family === 0) return false
    return this.list.check(address, family === 6 ? 'ipv6' : 'ipv4')
  }

  /**
   * The client's address: the socket peer, unless the peer is a trusted proxy; then the rightmost
   * `X-Forwarded-For` entry that is not itself a trusted proxy (entries left of it were written by the
   * client and prove nothing). A header that is malformed where we read it falls back to the peer.
   */
  clientAddress(peer: string | undefined, forwardedFor: string | null): string | undefined {
    if (peer === undefined || forwardedFor === null || !this.has(peer)) return peer
    const hops = forwardedFor.split(',').map((hop) => hop.trim())
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = unbracket(hops[i]!)
      if (isIP(hop) === 0) return peer
      if (!this.has(hop)) return hop
    }
    // Every hop is a proxy of ours: the leftmost is as close to the client as we can know.
    return unbracket(hops[0]!)
  }
}

/** `[2001:db8::1]` → `2001:db8::1` (some proxies bracket IPv6 in X-Forwarded-For). */
function unbracket(hop: string): string {
  return hop.startsWith('[') && hop.endsWith(']') ? hop.slice(1, -1) : hop
}
