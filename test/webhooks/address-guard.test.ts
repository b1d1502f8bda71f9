/**
 * The SSRF guard: every refused range, in IPv4 and IPv6 and in the IPv6 forms that carry an IPv4
 * address; public addresses pass; loopback only in sandbox mode; the lookup refuses a name if any
 * of its addresses is refused and hands the socket only vetted ones; one refusal through the
 * real Agent (nothing is sent: the connection is never opened).
 */
import type { LookupAddress } from 'node:dns'
import t from 'tap'
import { guardedLookup, ipv6Bytes, refusalReason } from '../../src/modules/webhooks/address-guard.ts'
import { createSender } from '../../src/modules/webhooks/sender.ts'

const strict = { allowLoopback: false }
const sandbox = { allowLoopback: true }

const REFUSED: [string, string][] = [
  // IPv4
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.255', 'cgnat'],
  ['169.254.0.1', 'link-local'],
  ['169.254.169.254', 'cloud-metadata'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['192.0.0.192', 'reserved'],
  ['198.18.0.1', 'reserved'],
  // IPv6
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['febf:ffff::1', 'link-local'],
  ['fc00::1', 'private'],
  ['fd12:3456:789a::1', 'private'],
  ['fd00:ec2::254', 'cloud-metadata'],
  ['ff02::1', 'multicast'],
  ['ff05::1:3', 'multicast'],
  ['2001:db8::1', 'reserved'],
  // IPv4 inside IPv6: mapped (both notations), compatible, NAT64, 6to4
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:a01:203', 'private'],
  ['::ffff:169.254.169.254', 'cloud-metadata'],
  ['::ffff:a9fe:a9fe', 'cloud-metadata'],
  ['::ffff:100.64.0.1', 'cgnat'],
  ['::ffff:192.168.0.1', 'private'],
  ['::ffff:224.0.0.1', 'multicast'],
  ['::ffff:0.0.0.0', 'unspecified'],
  ['0:0:0:0:0:ffff:172.16.0.1', 'private'],
  ['::10.0.0.1', 'private'],
  ['::127.0.0.1', 'loopback'],
  ['64:ff9b::169.254.169.254', 'cloud-metadata'],
  ['64:ff9b::a00:1', 'private'],
  ['2002:a00:1::1', 'private'],
  ['2002:7f00:1::', 'loopback'],
]

t.test('every refused range is refused, with its reason', async (t) => {
  for (const [address, reason] of REFUSED) t.equal(refusalReason(address, strict), reason, `${address}: ${reason}`)
})

t.test('public addresses pass, IPv4 and IPv6 and public ones inside IPv6 forms', async (t) => {
  for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '169.253.255.255', '192.169.0.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1']) {
    t.equal(refusalReason(address, strict), null, `${address} passes`)
  }
})

t.test('sandbox mode allows loopback, in every form, and nothing else', async (t) => {
  for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) t.equal(refusalReason(address, sandbox), null, `${address} allowed in sandbox`)
  for (const address of ['10.0.0.1', '169.254.169.254', 'fd00:ec2::254', '::ffff:192.168.0.1', '0.0.0.0', '::']) t.not(refusalReason(address, sandbox), null, `${address} still refused`)
})

t.test('IPv6 text forms expand to the same bytes', async (t) => {
  t.same(ipv6Bytes('::ffff:127.0.0.1'), ipv6Bytes('0:0:0:0:0:ffff:7f00:0001'))
  t.same(ipv6Bytes('fd00:ec2::254'), [0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54])
  t.equal(refusalReason('not-an-ip', strict), 'reserved', 'garbage is never allowed')
})

function fakeResolver(answers: Record<string, LookupAddress[]>) {
  return (hostname: string, _options: unknown, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => {
    setImmediate(() => callback(null, answers[hostname] ?? []))
  }
}

function look(lookup: ReturnType<typeof guardedLookup>, hostname: string, all: boolean): Promise<{ error: Error | null; result: unknown }> {
  return new Promise((resolve) => {
    ;(lookup as unknown as (h: string, o: object, cb: (...args: unknown[]) => void) => void)(hostname, { all }, (error, address, family) =>
      resolve({ error: error as Error | null, result: all ? address : [address, family] }),
    )
  })
}

t.test('the lookup refuses a name when any of its addresses is refused, and hands out only vetted ones', async (t) => {
  const answers = {
    'public.example': [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }],
    'rebind.example': [{ address: '93.184.216.34', family: 4 }, { address: '169.254.169.254', family: 4 }],
    'mapped.example': [{ address: '::ffff:10.0.0.5', family: 6 }],
    'local.example': [{ address: '127.0.0.1', family: 4 }],
  }
  const lookup = guardedLookup(strict, fakeResolver(answers) as never)
  const ok = await look(lookup, 'public.example', true)
  t.equal(ok.error, null)
  t.same(ok.result, answers['public.example'], 'all: the vetted addresses')
  t.same((await look(lookup, 'public.example', false)).result, ['93.184.216.34', 4], 'one: the first vetted address')
  const rebind = await look(lookup, 'rebind.example', true)
  t.match(rebind.error, { code: 'WEBHOOK_ADDRESS_REFUSED', reason: 'cloud-metadata', message: /rebind\.example.*169\.254\.169\.254/ })
  t.match((await look(lookup, 'mapped.example', false)).error, { reason: 'private' })
  t.match((await look(lookup, 'local.example', false)).error, { reason: 'loopback' })
  t.equal((await look(guardedLookup(sandbox, fakeResolver(answers) as never), 'local.example', false)).error, null, 'loopback in sandbox mode')
  t.match((await look(lookup, 'nothing.example', false)).error, { code: 'ENOTFOUND' })
})

t.test('through the Agent: a refused name or literal never connects, and the attempt says why', async (t) => {
  const sender = createSender({ timeoutMs: 2000, policy: strict })
  t.teardown(() => sender.close())
  const message = { id: 'msg_ssrf', body: '{}', secrets: [`whsec_${Buffer.alloc(24, 1).toString('base64')}`] }
  // `localhost` resolves through the system resolver to loopback: refused by the Agent's lookup.
  const byName = await sender.send('http://localhost:9/hook', message)
  t.match(byName, { outcome: 'failed', statusCode: null, error: /refused destination localhost: it resolves to (127\.0\.0\.1|::1) \(loopback address\)/ })
  const literal = await sender.send('http://[::ffff:169.254.169.254]/latest/meta-data', message)
  t.match(literal, { outcome: 'failed', statusCode: null, error: /refused destination ::ffff:a9fe:a9fe \(cloud-metadata address\)|refused destination .*169\.254\.169\.254.*cloud-metadata/ })
})
