/**
 * Request budgets with tiny limits (3 API calls, 2 token requests per minute), so a few calls
 * exhaust them and nothing waits for a window to pass. A setup app with the default budgets
 * creates the test organisation and issues the tokens; each test then builds its own small-budget
 * app on the same database. With REDIS_URL (CI) every app keeps its counters in Redis, under a key
 * space unique to this run, and two apps sharing a key space share one budget.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.ts'
import { buildTestApp, setupTestContext, testConfig } from '../helpers/app.ts'

const REDIS_URL = process.env.REDIS_URL || undefined
const LIMITS = { apiPerMinute: 3, organisationPerMinute: 3, tokenPerMinute: 2 }
/** This run's Redis key space: runs (and files) in parallel never share counters. */
const RUN_NAMESPACE = `insw-gw-rl-test:${randomUUID()}:`

if (REDIS_URL) {
  t.teardown(async () => {
    // Counters expire within a minute anyway; leave nothing behind.
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
    await redis.connect()
    const keys: string[] = []
    for await (const batch of redis.scanStream({ match: `${RUN_NAMESPACE}*`, count: 1000 })) keys.push(...(batch as string[]))
    if (keys.length) await redis.del(...keys)
    await redis.quit()
  })
}

const context = await setupTestContext(t)
const setup = await buildTestApp(t, context)
await setup.ready()

interface MachineClient {
  kind: string
  clientId: string
  clientSecret: string
}

const created = await setup.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000001' } })
// No assertion at the top level: tap would end the root test (and run teardowns) early.
if (created.statusCode !== 201) throw new Error(`test organisation not created: ${created.body}`)
const clients = created.json().clients as MachineClient[]
const inhouse = clients.find((c) => c.kind === 'inhouse')
const surveyor = clients.find((c) => c.kind === 'surveyor')
if (!inhouse || !surveyor) throw new Error('the test organisation lacks an inhouse or surveyor client')

function requestToken(app: FastifyInstance, client: MachineClient, scope: string, secret = client.clientSecret): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/oidc/token',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  })
}

async function accessToken(client: MachineClient, scope: string): Promise<string> {
  const response = await requestToken(setup, client, scope)
  if (response.statusCode !== 200) throw new Error(`token endpoint answered ${response.statusCode}: ${response.body}`)
  return response.json().access_token as string
}

const other = await setup.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000010' } })
if (other.statusCode !== 201) throw new Error(`second test organisation not created: ${other.body}`)
const otherOrgId = (other.json().organisation as { id: string }).id
const otherSurveyor = (other.json().clients as MachineClient[]).find((c) => c.kind === 'surveyor')
if (!otherSurveyor) throw new Error('the second test organisation lacks a surveyor client')

// Issued by the setup app (default budgets); every app sharing the database accepts them.
const inhouseToken = await accessToken(inhouse, 'org:read')
const surveyorToken = await accessToken(surveyor, 'reports:read')
const otherSurveyorToken = await accessToken(otherSurveyor, 'reports:read')

let instances = 0

/** A gateway with tiny budgets. Apps given the same `nameSpace` share counters when REDIS_URL is set. */
async function smallBudgetApp(t: Test, nameSpace = `${RUN_NAMESPACE}${++instances}:`): Promise<FastifyInstance> {
  const app = await buildApp({
    config: testConfig(REDIS_URL ? { REDIS_URL } : {}),
    database: context.database.handle,
    upstreams: context.upstreams,
    rateLimits: { ...LIMITS, nameSpace },
  })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

function me(app: FastifyInstance, token: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}`, ...headers } })
}

/** Asserts a call within budget: 200 and the draft-spec budget headers. */
function assertWithinBudget(t: Test, response: LightMyRequestResponse, limit: number, remaining: number, message: string): void {
  t.equal(response.statusCode, 200, `${message}: 200`)
  t.equal(response.headers['ratelimit-limit'], String(limit), `${message}: RateLimit-Limit`)
  t.equal(response.headers['ratelimit-remaining'], String(remaining), `${message}: RateLimit-Remaining`)
  const reset = Number(response.headers['ratelimit-reset'])
  t.ok(reset > 0 && reset <= 60, `${message}: RateLimit-Reset within the minute (${reset})`)
}

/** Asserts a 429 RATE_LIMITED problem with Retry-After and the budget headers. */
function assertRateLimited(t: Test, response: LightMyRequestResponse, limit: number, message: string): void {
  t.equal(response.statusCode, 429, `${message}: 429`)
  t.match(response.headers['content-type'], /^application\/problem\+json/, `${message}: problem+json`)
  t.match(response.json(), { status: 429, code: 'RATE_LIMITED' }, `${message}: RATE_LIMITED`)
  const retryAfter = Number(response.headers['retry-after'])
  t.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60, `${message}: Retry-After in seconds (${response.headers['retry-after']})`)
  t.equal(response.headers['ratelimit-limit'], String(limit), `${message}: RateLimit-Limit`)
  t.equal(response.headers['ratelimit-remaining'], '0', `${message}: RateLimit-Remaining`)
  t.equal(Number(response.headers['ratelimit-reset']), retryAfter, `${message}: RateLimit-Reset agrees with Retry-After`)
}

t.test('the 4th API call of one caller answers 429 problem+json with Retry-After and RateLimit-* headers', async (t) => {
  const app = await smallBudgetApp(t)
  for (let call = 1; call <= LIMITS.apiPerMinute; call++) {
    assertWithinBudget(t, await me(app, inhouseToken), LIMITS.apiPerMinute, LIMITS.apiPerMinute - call, `call ${call}`)
  }
  const refused = await me(app, inhouseToken)
  assertRateLimited(t, refused, LIMITS.apiPerMinute, 'call 4')
  t.match(refused.json(), {
    type: 'https://insw-gateway.dev/problems/rate-limited',
    title: 'Too many requests',
    instance: '/v1/me',
    detail: /^Rate limit of 3 requests per minute exceeded; retry in \d+/,
  })
  t.equal(refused.headers['content-language'], 'en')
  t.notOk(refused.headers['x-ratelimit-limit'], 'only the draft-spec header names')
  assertRateLimited(t, await me(app, inhouseToken), LIMITS.apiPerMinute, 'call 5: still refused')
})

t.test('Accept-Language: id gives the Indonesian title and detail', async (t) => {
  const app = await smallBudgetApp(t)
  for (let call = 1; call <= LIMITS.apiPerMinute; call++) await me(app, inhouseToken)
  const refused = await me(app, inhouseToken, { 'accept-language': 'id' })
  assertRateLimited(t, refused, LIMITS.apiPerMinute, 'in Indonesian')
  t.match(refused.json(), { title: 'Terlalu banyak permintaan', detail: /^Batas 3 permintaan per menit terlampaui; coba lagi dalam / })
  t.equal(refused.headers['content-language'], 'id')
})

t.test('two callers from the same address have separate budgets', async (t) => {
  const app = await smallBudgetApp(t)
  for (let call = 1; call <= LIMITS.apiPerMinute; call++) await me(app, inhouseToken)
  assertRateLimited(t, await me(app, inhouseToken), LIMITS.apiPerMinute, 'inhouse client exhausted')
  for (let call = 1; call <= LIMITS.apiPerMinute; call++) {
    assertWithinBudget(t, await me(app, otherSurveyorToken), LIMITS.apiPerMinute, LIMITS.apiPerMinute - call, `another organisation's client, call ${call}`)
  }
  assertRateLimited(t, await me(app, otherSurveyorToken), LIMITS.apiPerMinute, 'another organisation\'s client, call 4')
  const anonymous = await app.inject({ method: 'GET', url: '/v1/sandbox/mailbox?to=nobody%40example.test' })
  assertWithinBudget(t, anonymous, LIMITS.apiPerMinute, LIMITS.apiPerMinute - 1, 'an anonymous caller on the same address (budget by IP)')
})

t.test('/health/live and /health/ready are never rate-limited', async (t) => {
  const app = await smallBudgetApp(t)
  for (let call = 1; call <= LIMITS.apiPerMinute * 4; call++) {
    const live = await app.inject({ method: 'GET', url: '/health/live' })
    const ready = await app.inject({ method: 'GET', url: '/health/ready' })
    if (live.statusCode !== 200 || ready.statusCode !== 200) {
      t.fail(`probe ${call}: live ${live.statusCode}, ready ${ready.statusCode}`)
      return
    }
    if (call === 1) t.notOk(live.headers['ratelimit-limit'] ?? ready.headers['ratelimit-limit'], 'no budget headers: not counted')
  }
  t.pass(`${LIMITS.apiPerMinute * 4} probes of each answered 200`)
  assertWithinBudget(t, await app.inject({ method: 'GET', url: '/v1/sandbox/mailbox?to=nobody%40example.test' }), LIMITS.apiPerMinute, LIMITS.apiPerMinute - 1, 'the probes spent nothing of the address\'s API budget')
})

t.test('the machine clients of one organisation share its budget, and its own limit when set', async (t) => {
  const app = await smallBudgetApp(t)
  assertWithinBudget(t, await me(app, inhouseToken), LIMITS.apiPerMinute, 2, 'inhouse, call 1')
  assertWithinBudget(t, await me(app, surveyorToken), LIMITS.apiPerMinute, 1, 'surveyor of the same organisation, call 2')
  assertWithinBudget(t, await me(app, inhouseToken), LIMITS.apiPerMinute, 0, 'inhouse, call 3')
  assertRateLimited(t, await me(app, surveyorToken), LIMITS.apiPerMinute, 'surveyor, call 4: the organisation\'s budget is spent')

  await context.database.handle.db.updateTable('organisations').set({ rate_limit_per_minute: 5 }).where('id', '=', otherOrgId).execute()
  t.teardown(() => context.database.handle.db.updateTable('organisations').set({ rate_limit_per_minute: null }).where('id', '=', otherOrgId).execute())
  const limited = await smallBudgetApp(t)
  for (let call = 1; call <= 5; call++) assertWithinBudget(t, await me(limited, otherSurveyorToken), 5, 5 - call, `organisation limit 5, call ${call}`)
  assertRateLimited(t, await me(limited, otherSurveyorToken), 5, 'organisation limit 5, call 6')
})

t.test('the token endpoint has its own, stricter budget per client id', async (t) => {
  const app = await smallBudgetApp(t)
  for (let call = 1; call <= LIMITS.tokenPerMinute; call++) {
    const response = await requestToken(app, inhouse, 'org:read')
    assertWithinBudget(t, response, LIMITS.tokenPerMinute, LIMITS.tokenPerMinute - call, `token request ${call}`)
    t.ok(response.json().access_token, `token request ${call}: a token`)
  }
  const refused = await requestToken(app, inhouse, 'org:read')
  assertRateLimited(t, refused, LIMITS.tokenPerMinute, 'token request 3')
  t.match(refused.json(), { instance: '/oidc/token', detail: /^Rate limit of 2 requests per minute exceeded/ })
  assertRateLimited(t, await requestToken(app, inhouse, 'org:read', 'guessed-secret'), LIMITS.tokenPerMinute, 'a secret guess for that client')

  assertWithinBudget(t, await requestToken(app, surveyor, 'reports:read'), LIMITS.tokenPerMinute, LIMITS.tokenPerMinute - 1, 'another client')
  assertWithinBudget(t, await me(app, inhouseToken), LIMITS.apiPerMinute, LIMITS.apiPerMinute - 1, 'the API budget of the exhausted client is untouched')
})

t.test('two instances sharing Redis draw on one budget', { skip: REDIS_URL ? false : 'REDIS_URL is not set: budgets are per process without Redis' }, async (t) => {
  const shared = `${RUN_NAMESPACE}shared:`
  const a = await smallBudgetApp(t, shared)
  const b = await smallBudgetApp(t, shared)
  assertWithinBudget(t, await me(a, inhouseToken), LIMITS.apiPerMinute, 2, 'A, call 1')
  assertWithinBudget(t, await me(b, inhouseToken), LIMITS.apiPerMinute, 1, 'B, call 2')
  assertWithinBudget(t, await me(a, inhouseToken), LIMITS.apiPerMinute, 0, 'A, call 3')
  assertRateLimited(t, await me(b, inhouseToken), LIMITS.apiPerMinute, 'B, call 4')
  assertRateLimited(t, await me(a, inhouseToken), LIMITS.apiPerMinute, 'A, call 5')

  assertWithinBudget(t, await requestToken(a, surveyor, 'reports:read'), LIMITS.tokenPerMinute, 1, 'token request 1 on A')
  assertWithinBudget(t, await requestToken(b, surveyor, 'reports:read'), LIMITS.tokenPerMinute, 0, 'token request 2 on B')
  assertRateLimited(t, await requestToken(a, surveyor, 'reports:read'), LIMITS.tokenPerMinute, 'token request 3 on A')

  const elsewhere = await smallBudgetApp(t)
  assertWithinBudget(t, await me(elsewhere, inhouseToken), LIMITS.apiPerMinute, 2, 'an instance with another key space counts apart')
})
