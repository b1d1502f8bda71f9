/**
 * Two instances, one database, one Redis (issue 13 item 1): two gateway processes as `npm start`
 * runs them, on different ports behind one public URL (a round-robin TCP balancer), sharing the
 * PostgreSQL server and Redis. A token one issues the other accepts; the token endpoint's budget is
 * one budget across both (not one each); submissions taken by both are each filed at INATRADE by
 * exactly one of them (every attempt counted, not only the successful ones), and every webhook
 * message of their journeys reaches the receiver once. Needs a server
 * database (two processes cannot share an embedded one): skipped without DATABASE_URL.
 * TWO_INSTANCE_SUBMISSIONS sets the submissions (default 400; the drill's 2,000 on demand).
 */
import { connect, createServer } from 'node:net'
import t from 'tap'
import { startSandbox } from '../../src/sandbox/start-sandbox.ts'
import { childGateway, type ChildGateway } from '../helpers/child-gateway.ts'
import { freePort } from '../helpers/live-gateway.ts'
import { sampleSubmission } from '../helpers/permit-submission.ts'
import { startReceiver, verify } from '../helpers/webhook-receiver.ts'

const SECRET = 'two-instance-callback-secret'
const SUBMISSIONS = Math.max(10, Number(process.env.TWO_INSTANCE_SUBMISSIONS ?? 400) || 400)
const OIDC_BUDGET = 10
const NIB = '8120000000001'
const STEPS = ['permit.submitted', 'permit.forwarded', 'permit.received', 'permit.under_review', 'permit.approved', 'permit.issued']

if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
  t.pass('skipped: two instances need a server database and Redis (DATABASE_URL, REDIS_URL)')
} else {
  const sandbox = await startSandbox({ callbackSecret: SECRET, logger: false, timeScale: 0.01 })
  t.teardown(() => sandbox.close())
  // The load balancer: the public URL (the OIDC issuer, INATRADE's callback address) takes turns
  // between the instances, connection by connection.
  const balancerPort = await freePort()
  const publicUrl = `http://127.0.0.1:${balancerPort}`
  const backends: ChildGateway[] = []
  let turn = 0
  const balancer = createServer((client) => {
    const backend = backends[turn++ % backends.length]!
    const upstream = connect(Number(new URL(backend.origin).port), '127.0.0.1')
    client.pipe(upstream).pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  await new Promise<void>((resolve) => balancer.listen(balancerPort, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => balancer.close(resolve)))
  const env = {
    REDIS_URL: process.env.REDIS_URL,
    // Real budgets on /oidc/* (the shared limit under test); the API budgets out of the way.
    RATE_LIMIT_SCALE: '1',
    RATE_LIMIT_OIDC_PER_MINUTE: String(OIDC_BUDGET),
    RATE_LIMIT_API_PER_MINUTE: '1000000',
    RATE_LIMIT_ORGANISATION_PER_MINUTE: '1000000',
  }
  const a = await childGateway(t, sandbox, { callbackSecret: SECRET, publicUrl, env })
  await a.start()
  const b = await childGateway(t, sandbox, { callbackSecret: SECRET, publicUrl, env, shareDatabaseOf: a })
  await b.start()
  backends.push(a, b)

  const created = await fetch(`${a.origin}/v1/sandbox/test-organisations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nib: NIB }) })
  const organisation = (await created.json()) as { organisation: { id: string }; clients: { kind: string; clientId: string; clientSecret: string }[] }
  const inhouse = organisation.clients.find((client) => client.kind === 'inhouse')!
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(inhouse.clientId)}:${encodeURIComponent(inhouse.clientSecret)}`).toString('base64')}`
  const tokenFrom = (gateway: ChildGateway) =>
    fetch(`${gateway.origin}/oidc/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=permits%3Aread%20permits%3Awrite%20webhooks%3Aread%20webhooks%3Awrite',
    })

  // The submissions' token, taken first: the budget test spends the rest of the minute's budget.
  const submitToken = ((await (await tokenFrom(b)).json()) as { access_token: string }).access_token

  t.test('a token issued by one instance is accepted by the other', async (t) => {
    const issued = await tokenFrom(a)
    t.equal(issued.status, 200)
    const { access_token: token } = (await issued.json()) as { access_token: string }
    for (const gateway of [a, b]) {
      const me = await fetch(`${gateway.origin}/v1/me`, { headers: { authorization: `Bearer ${token}` } })
      t.equal(me.status, 200, `${gateway === a ? 'the issuer' : 'the other instance'} accepts it`)
    }
  })

  t.test('the token endpoint budget is one budget across both instances, not one each', async (t) => {
    // Two tokens were issued already (one by each); the rest of the minute's budget, alternating instances.
    const left = OIDC_BUDGET - 2
    const statuses: number[] = []
    for (let i = 0; i < OIDC_BUDGET + 4; i++) statuses.push((await tokenFrom(i % 2 === 0 ? b : a)).status)
    const granted = statuses.filter((status) => status === 200).length
    t.equal(granted, left, `${left} more tokens, then 429: the combined budget, not ${OIDC_BUDGET} each (statuses ${statuses.join(',')})`)
    t.ok(statuses.slice(left).every((status) => status === 429), 'everything after is refused, on both instances')
  })

  t.test(`${SUBMISSIONS} submissions taken by both: each filed at INATRADE once, each webhook message sent once`, async (t) => {
    // Issued before the budget ran out, good for five minutes on both.
    const bearer = { authorization: `Bearer ${submitToken}` }
    const receiver = await startReceiver(t)
    const webhook = await a.post(`/v1/orgs/${organisation.organisation.id}/webhooks`, { url: `${receiver.url}/erp`, eventTypes: STEPS }, bearer)
    t.equal(webhook.status, 201, JSON.stringify(webhook.body))
    const secret = webhook.body.secret as string
    let next = 0
    const accepted = new Set<string>()
    await Promise.all(
      Array.from({ length: 8 }, async (_, lane) => {
        while (next < SUBMISSIONS) {
          const reference = `two-${next++}`
          const gateway = lane % 2 === 0 ? a : b
          const answer = await gateway.post('/v1/permits', sampleSubmission(reference), { ...bearer, 'idempotency-key': `key-${reference}` })
          if (answer.status !== 202) throw new Error(`${reference}: ${answer.status} ${JSON.stringify(answer.body)}`)
          accepted.add((answer.body.permit as { id: string }).id)
        }
      }),
    )
    t.equal(accepted.size, SUBMISSIONS, 'every submission accepted, one permit each')
    const deadline = Date.now() + 180_000
    let waiting = -1
    while (Date.now() < deadline) {
      waiting = ((await a.get<{ items: unknown[] }>('/v1/permits?status=submitted&limit=1', bearer)).items).length
      if (waiting === 0) break
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    t.equal(waiting, 0, 'none left waiting to be forwarded')
    const journal = (await (await fetch(`${sandbox.inatradeUrl}/__sandbox/requests`)).json()) as { method: string; url: string; headers: Record<string, string> }[]
    const attempts = new Map<string, number>()
    for (const entry of journal) {
      if (entry.method !== 'POST' || entry.url !== '/inatrade/v1/applications') continue
      const key = entry.headers['idempotency-key']!
      attempts.set(key, (attempts.get(key) ?? 0) + 1)
    }
    t.equal(attempts.size, SUBMISSIONS, 'INATRADE was sent every accepted permit')
    t.same([...attempts.entries()].filter(([, count]) => count !== 1).slice(0, 10), [], 'and each exactly once: no job ran on both instances')

    // Every permit's steps to the receiver (the sandbox INATRADE decides within seconds here).
    const stepsDeadline = Date.now() + 180_000
    let unissued = -1
    while (Date.now() < stepsDeadline) {
      const issued = await a.get<{ items: unknown[] }>(`/v1/permits?status=issued&limit=100`, bearer)
      const pending = await a.get<{ items: unknown[] }>(`/v1/orgs/${organisation.organisation.id}/webhooks/${(webhook.body.webhook as { id: string }).id}/deliveries?state=pending&limit=1`, bearer)
      unissued = SUBMISSIONS - (await countIssued(issued.items.length))
      if (unissued === 0 && pending.items.length === 0 && receiver.requests.length >= SUBMISSIONS * STEPS.length) break
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    t.equal(unissued, 0, 'every permit issued')
    const byId = new Map<string, number>()
    const steps = new Set<string>()
    for (const request of receiver.requests) {
      const message = verify(request, secret) as { type: string; data: { permitId: string } }
      const id = String(request.headers['webhook-id'])
      byId.set(id, (byId.get(id) ?? 0) + 1)
      steps.add(`${message.data.permitId} ${message.type}`)
    }
    t.equal(steps.size, SUBMISSIONS * STEPS.length, `every step of every permit arrived (${STEPS.length} each)`)
    t.same([...byId.entries()].filter(([, count]) => count !== 1).slice(0, 10), [], 'each message sent once: no delivery ran on both instances')

    /** Issued permits, counted past the first page. */
    async function countIssued(firstPage: number): Promise<number> {
      if (firstPage < 100) return firstPage
      let count = 0
      let next: string | null = '/v1/permits?status=issued&limit=100'
      while (next) {
        const page: { items: unknown[]; next: string | null } = await a.get(next, bearer)
        count += page.items.length
        next = page.next
      }
      return count
    }
  })
}
