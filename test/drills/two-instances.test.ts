/**
 * Two instances, one database, one Redis (issue 13 item 1): two gateway processes as `npm start`
 * runs them, on different ports behind one public URL (a round-robin TCP balancer), sharing the
 * PostgreSQL server and Redis. A token one issues the other accepts; the token endpoint's budget is
 * one budget across both (not one each); submissions taken by both are each filed at INATRADE by
 * exactly one of them (every attempt counted, not only the successful ones), and every webhook
 * message of their journeys reaches the receiver once; a person's sign-in started on one finishes on
 * the other; the compliance evaluation's cron fires once a minute across both, not once each. Needs a server
 * database (two processes cannot share an embedded one): skipped without DATABASE_URL.
 * TWO_INSTANCE_SUBMISSIONS sets the submissions (default 400; the drill's 2,000 on demand).
 */
import { connect, createServer, type Socket } from 'node:net'
import * as oidc from 'openid-client'
import pg from 'pg'
import t from 'tap'
import { startSandbox } from '../../src/sandbox/start-sandbox.ts'
import { childGateway, type ChildGateway } from '../helpers/child-gateway.ts'
import { freePort } from '../helpers/live-gateway.ts'
import { openLoginPage, submitLogin, swaggerUiClient } from '../helpers/oidc.ts'
import { sampleSubmission } from '../helpers/permit-submission.ts'
import { startReceiver, verify } from '../helpers/webhook-receiver.ts'

const SECRET = 'two-instance-callback-secret'
const SUBMISSIONS = Math.max(10, Number(process.env.TWO_INSTANCE_SUBMISSIONS ?? 400) || 400)
const OIDC_BUDGET = 20
const NIB = '8120000000001'
const STEPS = ['permit.submitted', 'permit.forwarded', 'permit.received', 'permit.under_review', 'permit.approved', 'permit.issued']

if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
  t.pass('skipped: two instances need a server database and Redis (DATABASE_URL, REDIS_URL)')
} else {
  const sandbox = await startSandbox({ callbackSecret: SECRET, logger: false, timeScale: 0.01, journalLimit: 100_000 })
  t.teardown(() => sandbox.close())
  // The load balancer: the public URL (the OIDC issuer, INATRADE's callback address) takes turns
  // between the instances, connection by connection.
  const balancerPort = await freePort()
  const publicUrl = `http://127.0.0.1:${balancerPort}`
  const backends: ChildGateway[] = []
  let turn = 0
  /** When set, every new connection goes to this instance (a sticky balancer, for the sign-in test). */
  let pinned: ChildGateway | undefined
  const open = new Set<Socket>()
  const balancer = createServer((client) => {
    const backend = pinned ?? backends[turn++ % backends.length]!
    open.add(client)
    client.on('close', () => open.delete(client))
    const upstream = connect(Number(new URL(backend.origin).port), '127.0.0.1')
    client.pipe(upstream).pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  await new Promise<void>((resolve) => balancer.listen(balancerPort, '127.0.0.1', resolve))
  /** Sends the next connections to `backend`, closing the open ones so no kept-alive socket stays on the other. */
  async function pinTo(backend: ChildGateway | undefined): Promise<void> {
    pinned = backend
    for (const socket of open) socket.destroy()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.teardown(() => new Promise((resolve) => balancer.close(resolve)))
  const env = {
    REDIS_URL: process.env.REDIS_URL,
    // Real budgets on /oidc/* (the shared limit under test); the API budgets out of the way.
    RATE_LIMIT_SCALE: '1',
    RATE_LIMIT_OIDC_PER_MINUTE: String(OIDC_BUDGET),
    RATE_LIMIT_API_PER_MINUTE: '1000000',
    RATE_LIMIT_ORGANISATION_PER_MINUTE: '1000000',
    RATE_LIMIT_SIGN_IN_PER_IP: '1000',
    // Every minute, so the test sees it fire (and fire once) across the two.
    COMPLIANCE_EVALUATION_CRON: '* * * * *',
  }
  const a = await childGateway(t, sandbox, { callbackSecret: SECRET, publicUrl, env })
  await a.start()
  const b = await childGateway(t, sandbox, { callbackSecret: SECRET, publicUrl, env, shareDatabaseOf: a })
  await b.start()
  backends.push(a, b)

  const created = await fetch(`${a.origin}/v1/sandbox/test-organisations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nib: NIB }) })
  const organisation = (await created.json()) as { organisation: { id: string }; superAdmin: { username: string; password: string; userId: string }; clients: { kind: string; clientId: string; clientSecret: string }[] }
  const startedAt = new Date()
  const inhouse = organisation.clients.find((client) => client.kind === 'inhouse')!
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(inhouse.clientId)}:${encodeURIComponent(inhouse.clientSecret)}`).toString('base64')}`
  let tokensIssued = 0
  const tokenFrom = async (gateway: ChildGateway) => {
    const response = await fetch(`${gateway.origin}/oidc/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=permits%3Aread%20permits%3Awrite%20webhooks%3Aread%20webhooks%3Awrite',
    })
    if (response.status === 200) tokensIssued++
    return response
  }

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

  t.test('a sign-in started on one instance finishes on the other', async (t) => {
    // The browser's first requests (discovery, the authorization request, the login page) reach A.
    await pinTo(a)
    const swaggerUi = await swaggerUiClient(publicUrl)
    const page = await openLoginPage(publicUrl, swaggerUi, { scope: 'openid org:read' })
    t.match(page.html, /<form/, 'the login page, from A')
    // The form post, the resumed authorization and the consent: B, which never saw the interaction.
    await pinTo(b)
    const { callback } = await submitLogin(publicUrl, page, organisation.superAdmin.username, organisation.superAdmin.password)
    t.ok(callback.searchParams.get('code'), `B finished it: back at the client with a code (${callback.href.slice(0, 120)})`)
    // The code exchanged at A again.
    await pinTo(a)
    const tokens = await oidc.authorizationCodeGrant(swaggerUi, callback, { pkceCodeVerifier: page.verifier, expectedState: page.state })
    t.equal(tokens.claims()?.sub, organisation.superAdmin.userId, 'A redeemed the code B issued')
    await pinTo(undefined)
    const me = await fetch(`${b.origin}/v1/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
    t.equal(me.status, 200, 'and B accepts the access token')
  })

  t.test('the token endpoint budget is one budget across both instances, not one each', async (t) => {
    // The client's budget (the sign-in, a browser's, is counted apart): what the tokens issued so far
    // left of it, then the rest, alternating instances.
    const left = OIDC_BUDGET - tokensIssued
    const statuses: number[] = []
    for (let i = 0; i < OIDC_BUDGET + 4; i++) statuses.push((await tokenFrom(i % 2 === 0 ? a : b)).status)
    const granted = statuses.filter((status) => status === 200).length
    t.equal(granted, left, `${left} more tokens, then 429: the combined budget, not ${OIDC_BUDGET} each (statuses ${statuses.join(',')})`)
    t.ok(statuses.slice(left).every((status) => status === 429), 'everything after is refused, on both instances')
  })

  t.test(`${SUBMISSIONS} submissions taken by both: each filed at INATRADE once, each webhook message sent once`, async (t) => {
    // Issued before the budget ran out, good for five minutes on both.
    const bearer = { authorization: `Bearer ${submitToken}` }
    const receiver = await startReceiver(t)
    const webhook = await a.post(`/v1/orgs/${organisation.organisation.id}/webhooks`, { url: `${receiver.url}/erp`, eventTypes: STEPS }, bearer)
    // The body (with its secret) only when the subscription failed.
    t.equal(webhook.status, 201, webhook.status === 201 ? 'subscribed' : JSON.stringify(webhook.body))
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

  t.test('the compliance evaluation fires once a minute across both instances, not once each', async (t) => {
    const pool = new pg.Pool({ connectionString: a.databaseUrl, max: 1 })
    t.teardown(() => pool.end())
    const firings = async () =>
      (await pool.query<{ minute: string; count: string; completed: string }>(
        `select date_trunc('minute', created_on)::text as minute, count(*)::text as count, count(*) filter (where state = 'completed')::text as completed
           from pgboss.job where name = 'compliance.evaluate' and created_on >= $1 group by 1 order by 1`,
        [startedAt],
      )).rows
    const deadline = Date.now() + 150_000
    while (Date.now() < deadline && !(await firings()).some((row) => Number(row.completed) > 0)) await new Promise((resolve) => setTimeout(resolve, 1000))
    const rows = await firings()
    t.ok(rows.length >= 1, `fired (${rows.length} minute(s) since the start)`)
    t.same(rows.filter((row) => row.count !== '1'), [], 'each minute once, though both instances watch the schedule')
    t.ok(rows.some((row) => row.completed === '1'), 'and the evaluation ran')
  })
}
