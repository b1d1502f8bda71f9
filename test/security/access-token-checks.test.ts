/**
 * Issue 8 item 14 (token checks): the `Bearer` scheme is case-insensitive; a token with a future
 * `iat`, or living longer than the provider issues tokens for, is refused even with a valid
 * signature; a non-UUID `sub` (or `org_id`) answers 401, not a 500 from the database.
 */
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildTestApp, setupTestContext, testConfig } from '../helpers/app.ts'
import { createOrg } from '../helpers/orgs.ts'
import { jwt, tokenMinter } from '../helpers/tokens.ts'

const context = await setupTestContext(t)
const app = await buildTestApp(t, context)
await app.ready()
const org = await createOrg(app, '8120000000001')
const minter = tokenMinter(app)
const ttl = testConfig().oidc.accessTokenTtl

const signed = (claims: Record<string, unknown>) => jwt(minter.header(), claims, minter.signer)
const userClaims = (overrides: Record<string, unknown> = {}) => ({
  ...minter.claims({ sub: org.superAdmin.userId, client_id: 'swagger-ui', scope: 'openid org:read', org_id: org.orgId }),
  ...overrides,
})
const me = (authorization: string) => app.inject({ method: 'GET', url: '/v1/me', headers: { authorization } })

function assertRefused(t: Test, response: LightMyRequestResponse, label: string): void {
  t.equal(response.statusCode, 401, `${label}: 401`)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.equal(response.json().code, 'INVALID_TOKEN', `${label}: INVALID_TOKEN`)
  t.match(response.headers['www-authenticate'], /error="invalid_token"/)
}

t.test('the Bearer scheme is case-insensitive', async (t) => {
  const token = signed(userClaims())
  for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
    t.equal((await me(`${scheme} ${token}`)).statusCode, 200, `${scheme} accepted`)
  }
})

t.test('a token issued in the future is refused', async (t) => {
  const now = Math.floor(Date.now() / 1000)
  assertRefused(t, await me(`Bearer ${signed(userClaims({ iat: now + 3600, exp: now + 3600 + ttl }))}`), 'iat in an hour')
  t.equal((await me(`Bearer ${signed(userClaims({ iat: now + 5, exp: now + 5 + ttl }))}`)).statusCode, 200, 'a few seconds of clock skew are tolerated')
})

t.test('a token living longer than the provider issues is refused', async (t) => {
  const now = Math.floor(Date.now() / 1000)
  assertRefused(t, await me(`Bearer ${signed(userClaims({ iat: now, exp: now + 365 * 86_400 }))}`), 'a year')
  assertRefused(t, await me(`Bearer ${signed(userClaims({ iat: now - 10, exp: now + ttl * 3 }))}`), 'three lifetimes')
  t.equal((await me(`Bearer ${signed(userClaims({ iat: now, exp: now + ttl }))}`)).statusCode, 200, 'the configured lifetime passes')
})

t.test('a non-UUID sub or org_id answers 401, not 500', async (t) => {
  for (const sub of ['not-a-uuid', "1' or '1'='1", '00000000-0000-0000-0000-00000000000g', 'a\u0000b']) {
    assertRefused(t, await me(`Bearer ${signed(userClaims({ sub }))}`), `sub ${JSON.stringify(sub)}`)
    assertRefused(t, await app.inject({ method: 'GET', url: `/v1/orgs/${org.orgId}/groups`, headers: { authorization: `Bearer ${signed(userClaims({ sub }))}` } }), `sub ${JSON.stringify(sub)} on an org route`)
  }
  assertRefused(t, await me(`Bearer ${signed(userClaims({ org_id: 'not-an-org' }))}`), 'org_id not a UUID')
  assertRefused(t, await me(`Bearer ${signed(userClaims({ client_id: 'a b\u0000' }))}`), 'client_id with control characters')
  t.equal((await me(`Bearer ${signed(userClaims())}`)).statusCode, 200, 'the same token with valid claims passes')
})
