/**
 * @module
 * Whether a client's address is inside a list of CIDRs, for tokens and roles with
 * `bound_cidrs` (spec §4.2, §9.2 step 2). IPv4-mapped IPv6 addresses count as IPv4.
 */
import { BlockList, isIPv4 } from 'node:net'

export function addressInCidrs(address: string, cidrs: readonly string[]): boolean {
  const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address
  const family = isIPv4(plain) ? 'ipv4' : 'ipv6'
  const list = new BlockList()
  for (const cidr of cidrs) {
    const [network = '', prefixText] = cidr.split('/')
    const networkFamily = isIPv4(network) ? 'ipv4' : 'ipv6'
    if (networkFamily !== family) continue
    const prefix = prefixText === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefixText)
    try {
      list.addSubnet(network, prefix, networkFamily)
    } catch {
      // An unusable entry matches nothing.
    }
  }
  return list.check(plain, family)
}
