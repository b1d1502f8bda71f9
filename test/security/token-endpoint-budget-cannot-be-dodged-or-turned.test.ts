/**
 * Issue 8, item 10: the token endpoint's budget can be neither dodged nor turned on a client.
 * It used to be keyed on the client id claimed in the Basic header, before anything verified it:
 * random ids each got a fresh budget (unlimited guessing from one address), and 60 wrong secrets
 * sent under a real client's id locked that client out. Now failures count per source address
 * and per client, and a client presenting its right secret passes. With REDIS_URL the counters
 * live in Redis, under a key space unique to this run.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.ts'
import { setupTestContext, testConfig } from '../helpers/app.ts'

const REDIS_URL = process.env.REDIS_URL || undefined
const FAILURES_PER_IP = 3
const FAILURES_PER_CLIENT = 3
/** More wrong secrets than the old per-client-id budget (60) allowed before it locked the client out. */
const ATTACK_SIZE = 61

const context = await setupTestContext(t)

async function gateway(t: Test): Promise<FastifyInstance> {
  const app = await buildApp({
    config: testConfig({
      RATE_LIMIT_OIDC_FAILURES_PER_IP: String(FAILURES_PER_IP),
      RATE_LIMIT_OIDC_FAILURES_PER_CLIENT: String(FAILURES_PER_CLIENT),
      ...(REDIS_URL ? { REDIS_URL } : {}),
    }),
    database: context.database.handle,
    upstreams: context.upstreams,
    rateLimits: { nameSpace: `insw-gw-rl-test:${randomUUID()}:` },
  })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

let organisations = 0
async function machineClient(app: FastifyInstance): Promise<{ clientId: string; clientSecret: string }> {
  const nib = ['8120000000001', '8120000000010'][organisations++]
  const created = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib } })
  if (created.statusCode !== 201) throw new Error(`test organisation not created: ${created.body}`)
  return (created.json().clients as { clientId: string; clientSecret: string }[])[0]!
}

function tokenRequest(app: FastifyInstance, from: string, clientId: string, secret: string): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/oidc/token',
    remoteAddress: from,
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: 'grant_type=client_credentials',
  })
}

t.test('random client ids from one address: refused once that address has spent its failures', async (t) => {
  const app = await gateway(t)
  const client = await machineClient(app)
  const attacker = '198.51.100.7'
  for (let attempt = 1; attempt <= FAILURES_PER_IP; attempt++) {
    const response = await tokenRequest(app, attacker, `random-${randomBytes(6).toString('hex')}`, 'guess')
    t.equal(response.statusCode, 401, `random id ${attempt}: 401 invalid_client`)
  }
  const refused = await tokenRequest(app, attacker, `random-${randomBytes(6).toString('hex')}`, 'guess')
  t.equal(refused.statusCode, 429, 'yet another random id from that address: 429')
  t.match(refused.json(), { code: 'RATE_LIMITED' })
  t.ok(Number(refused.headers['retry-after']) > 0, 'with Retry-After')
  t.equal((await tokenRequest(app, attacker, client.clientId, 'guess')).statusCode, 429, 'a real client id from that address: 429 too')

  const elsewhere = await tokenRequest(app, '203.0.113.20', client.clientId, client.clientSecret)
  t.equal(elsewhere.statusCode, 200, 'the real client from its own address is unaffected')
})

t.test(`${ATTACK_SIZE} wrong secrets under a client's id, from many addresses, do not lock the client out`, async (t) => {
  const app = await gateway(t)
  const client = await machineClient(app)
  const answers: number[] = []
  for (let attempt = 1; attempt <= ATTACK_SIZE; attempt++) {
    answers.push((await tokenRequest(app, `192.0.2.${attempt}`, client.clientId, `wrong-${attempt}`)).statusCode)
  }
  t.same(answers.slice(0, FAILURES_PER_CLIENT), Array(FAILURES_PER_CLIENT).fill(401), 'the first wrong secrets: 401')
  t.ok(answers.slice(FAILURES_PER_CLIENT).every((status) => status === 429), 'then every wrong secret for that client: 429, from any address')

  const wrong = await tokenRequest(app, '203.0.113.30', client.clientId, 'one-more-guess')
  t.equal(wrong.statusCode, 429, 'a wrong secret from a fresh address: 429')
  const genuine = await tokenRequest(app, '203.0.113.31', client.clientId, client.clientSecret)
  t.equal(genuine.statusCode, 200, 'the right secret still gets a token')
  t.ok(genuine.json().access_token, 'an access token')
})
