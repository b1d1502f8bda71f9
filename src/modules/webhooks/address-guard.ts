/**
 * SSRF guard of outgoing webhooks. An organisation chooses the URL, so without a guard the
 * gateway would POST wherever a name points: its own admin ports on loopback, the cloud's
 * metadata service (credentials), the private network behind it. Every address a host resolves
 * to is checked, and the connection goes to the address that was checked (see `guardedLookup`):
 * a name cannot pass the check with a public address and then resolve again to a private one
 * (DNS rebinding). IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4) are
 * judged by the IPv4 address inside.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'

export type RefusalReason =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cloud-metadata'
  | 'cgnat'
  | 'multicast'
  | 'unspecified'
  | 'broadcast'
  | 'reserved'

export interface AddressPolicy {
  /** Sandbox mode: receivers on this machine (tests, a developer's laptop). */
  allowLoopback: boolean
}

type Range = readonly [prefix: number[], bits: number, reason: RefusalReason]

// Most specific first: the metadata address before the link-local range that holds it.
const IPV4_RANGES: readonly Range[] = [
  [[169, 254, 169, 254], 32, 'cloud-metadata'],
  [[255, 255, 255, 255], 32, 'broadcast'],
  [[0, 0, 0, 0], 8, 'unspecified'],
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'cgnat'],
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link-local'],
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'reserved'], // IETF protocol assignments (192.0.0.192: a cloud's metadata)
  [[192, 0, 2, 0], 24, 'reserved'], // documentation
  [[192, 168, 0, 0], 16, 'private'],
  [[198, 18, 0, 0], 15, 'reserved'], // benchmarking
  [[198, 51, 100, 0], 24, 'reserved'],
  [[203, 0, 113, 0], 24, 'reserved'],
  [[224, 0, 0, 0], 4, 'multicast'],
  [[240, 0, 0, 0], 4, 'reserved'], // future use
]

const IPV6_RANGES: readonly Range[] = [
  [[0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54], 128, 'cloud-metadata'], // fd00:ec2::254
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 128, 'unspecified'],
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128, 'loopback'],
  [[0xfe, 0x80], 10, 'link-local'],
  [[0xfe, 0xc0], 10, 'private'], // site-local (deprecated)
  [[0xfc, 0x00], 7, 'private'], // unique local
  [[0xff, 0x00], 8, 'multicast'],
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, 'reserved'], // local-use NAT64
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, 'reserved'], // discard-only
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'reserved'], // documentation
]

function inRange(bytes: number[], prefix: number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const take = Math.min(8, bits - bit)
    const mask = (0xff << (8 - take)) & 0xff
    if (((bytes[bit / 8] ?? 0) & mask) !== ((prefix[bit / 8] ?? 0) & mask)) return false
  }
  return true
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number)
}

/** The 16 bytes of an IPv6 address (with `::` and a dotted IPv4 tail expanded). */
export function ipv6Bytes(address: string): number[] {
  let text = address.toLowerCase()
  const zone = text.indexOf('%')
  if (zone !== -1) text = text.slice(0, zone)
  let tail: number[] = []
  const lastColon = text.lastIndexOf(':')
  if (text.slice(lastColon + 1).includes('.')) {
    tail = ipv4Bytes(text.slice(lastColon + 1))
    text = `${text.slice(0, lastColon + 1)}0:0`
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined]
  const groups = (part: string | undefined) => (part ? part.split(':').filter(Boolean).map((group) => parseInt(group, 16)) : [])
  const left = groups(head)
  const right = groups(rest)
  const words = rest === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right]
  const bytes = words.flatMap((word) => [word >> 8, word & 0xff])
  if (tail.length === 4) bytes.splice(12, 4, ...tail)
  return bytes
}

function classifyIpv4(bytes: number[]): RefusalReason | null {
  return IPV4_RANGES.find(([prefix, bits]) => inRange(bytes, prefix, bits))?.[2] ?? null
}

/** The IPv4 address an IPv6 address carries, where it is a form that reaches it. */
function embeddedIpv4(bytes: number[]): number[] | undefined {
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((byte) => byte === 0)
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12) // ::ffff:a.b.c.d (mapped)
  if (zeros(0, 12) && !zeros(12, 15)) return bytes.slice(12) // ::a.b.c.d (compatible, deprecated); not :: or ::1
  if (inRange(bytes, [0x00, 0x64, 0xff, 0x9b], 96) && zeros(4, 12)) return bytes.slice(12) // 64:ff9b::a.b.c.d (NAT64)
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6) // 2002:AABB:CCDD:: (6to4)
  return undefined
}

/** Why an address may not be called, or null when it may. */
export function refusalReason(address: string, policy: AddressPolicy): RefusalReason | null {
  const family = isIP(address)
  let reason: RefusalReason | null
  if (family === 4) reason = classifyIpv4(ipv4Bytes(address))
  else if (family === 6) {
    const bytes = ipv6Bytes(address)
    const inner = embeddedIpv4(bytes)
    reason = inner ? classifyIpv4(inner) : (IPV6_RANGES.find(([prefix, bits]) => inRange(bytes, prefix, bits))?.[2] ?? null)
  } else return 'reserved' // not an address at all
  if (reason === 'loopback' && policy.allowLoopback) return null
  return reason
}

/** The error of a refused destination: recorded in the delivery log as is. */
export class RefusedAddressError extends Error {
  readonly code = 'WEBHOOK_ADDRESS_REFUSED'
  readonly address: string
  readonly reason: RefusalReason
  constructor(host: string, address: string, reason: RefusalReason) {
    super(host === address ? `refused destination ${address} (${reason} address)` : `refused destination ${host}: it resolves to ${address} (${reason} address)`)
    this.name = 'RefusedAddressError'
    this.address = address
    this.reason = reason
  }
}

/** The host of a URL as an address, when it is a literal one (`[::1]` unbracketed). */
export function literalAddress(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  return isIP(bare) ? bare : undefined
}

/** Checks a literal address host (names are checked when they are resolved). */
export function checkLiteralHost(hostname: string, policy: AddressPolicy): RefusedAddressError | undefined {
  const address = literalAddress(hostname)
  if (!address) return undefined
  const reason = refusalReason(address, policy)
  return reason ? new RefusedAddressError(address, address, reason) : undefined
}

type Resolver = (hostname: string, options: LookupAllOptions, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void

/**
 * A `lookup` for net/tls connect (an undici Agent's `connect.lookup`): resolves every address of
 * the name, refuses the name if any of them is refused (a mixed answer is a rebinding attempt or
 * a misconfiguration, never something to pick around), and hands the socket only those vetted
 * addresses, so it connects to what was checked.
 */
export function guardedLookup(policy: AddressPolicy, resolve: Resolver = dnsLookup as Resolver): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number | string }, callback: (...args: unknown[]) => void) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : typeof options.family === 'number' ? options.family : 0
    resolve(hostname, { all: true, family: family as 0 | 4 | 6 }, (error, addresses) => {
      if (error) return callback(error)
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }))
      for (const entry of addresses) {
        const reason = refusalReason(entry.address, policy)
        if (reason) return callback(new RefusedAddressError(hostname, entry.address, reason))
      }
      if (options.all) return callback(null, addresses)
      callback(null, addresses[0]!.address, addresses[0]!.family)
    })
  }) as unknown as LookupFunction
}
