/**
 * OWASP API Security Top 10 (2023), the categories this file proves itself (README.md in this
 * folder maps every category to its tests):
 *   API1 object-level authorization: 1,000 probes of another organisation's objects, 0 leaks;
 *   API2 authentication: a corpus of forged and misused tokens, every one 401;
 *   API3 property-level authorization: no secret, hash or full NIK in a list; no assignable
 *        property the contract does not offer;
 *   API5 function-level authorization: a member on operator and admin functions, 403;
 *   API8 misconfiguration: no x-powered-by, no stack trace, no CORS for a foreign origin;
 *   API9 inventory: every served route is in the contract or knowingly outside it, and every
 *        operation in the contract is served.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildTestApp, setupTestContext } from '../helpers/app.ts'
import { operatorToken } from '../helpers/compliance.ts'
import { api, createGroup, createOrg } from '../helpers/orgs.ts'
import { insertPermit } from '../helpers/permits.ts'
import { jwt, tokenMinter } from '../helpers/tokens.ts'

const context = await setupTestContext(t)
const app = await buildTestApp(t, context, { env: { RATE_LIMIT_SCALE: '1000' } })
await app.ready()
const db = context.database.handle.db
const minter = tokenMinter(app)
const SCOPES = 'openid org:read org:admin webhooks:read webhooks:write permits:read permits:write reports:read reports:write'
const mine = await createOrg(app, '8120000000001')
const theirs = await createOrg(app, '8120000000002')
const myToken = minter.forUser(mine.superAdmin.userId, { orgId: mine.orgId, scope: SCOPES })
const theirToken = minter.forUser(theirs.superAdmin.userId, { orgId: theirs.orgId, scope: SCOPES })

t.test('API1: 1,000 probes of another organisation\'s objects answer 403/404 and leak none of them', async (t) => {
  // Their objects, made as they would make them.
  const groupId = await createGroup(app, theirToken, theirs.orgId, { level: 'non_admin', name: 'Their secret group', rights: [{ menu: 'SSM_PERIZINAN', actions: ['view'] }] })
  const clientId = theirs.clients[0]!.clientId
  const webhook = await api(app, theirToken, 'POST', `/v1/orgs/${theirs.orgId}/webhooks`, { url: 'https://receiver.example/hooks', eventTypes: ['permit.issued'] })
  t.equal(webhook.statusCode, 201, webhook.body)
  const webhookId = webhook.json().webhook.id as string
  const permits = await Promise.all([1, 2, 3].map(() => insertPermit(db, { nib: '8120000000002' })))
  const secrets = [groupId, clientId, webhookId, theirs.superAdmin.userId, theirs.superAdmin.email, 'Their secret group', ...permits.flatMap((permit) => [permit.id, permit.reference_number])]

  const probes: { method: 'GET' | 'PATCH' | 'DELETE' | 'POST'; url: string; payload?: unknown }[] = []
  for (const org of [theirs.orgId, mine.orgId]) {
    probes.push(
      { method: 'GET', url: `/v1/orgs/${org}/groups/${groupId}` },
      { method: 'PATCH', url: `/v1/orgs/${org}/groups/${groupId}`, payload: { name: 'taken over' } },
      { method: 'DELETE', url: `/v1/orgs/${org}/groups/${groupId}` },
      { method: 'GET', url: `/v1/orgs/${org}/users/${theirs.superAdmin.userId}` },
      { method: 'PATCH', url: `/v1/orgs/${org}/users/${theirs.superAdmin.userId}`, payload: { position: 'taken over' } },
      { method: 'POST', url: `/v1/orgs/${org}/users/${theirs.superAdmin.userId}/disable` },
      { method: 'GET', url: `/v1/orgs/${org}/clients/${clientId}` },
      { method: 'POST', url: `/v1/orgs/${org}/clients/${clientId}/revoke` },
      { method: 'GET', url: `/v1/orgs/${org}/webhooks/${webhookId}` },
      { method: 'DELETE', url: `/v1/orgs/${org}/webhooks/${webhookId}` },
      { method: 'GET', url: `/v1/orgs/${org}/webhooks/${webhookId}/deliveries` },
    )
  }
  probes.push(
    { method: 'GET', url: `/v1/orgs/${theirs.orgId}/users` },
    { method: 'GET', url: `/v1/orgs/${theirs.orgId}/groups` },
    { method: 'GET', url: `/v1/orgs/${theirs.orgId}/clients` },
    { method: 'GET', url: `/v1/orgs/${theirs.orgId}/audit-events` },
    { method: 'GET', url: `/v1/orgs/${theirs.orgId}/webhooks` },
  )
  for (const permit of permits) {
    probes.push(
      { method: 'GET', url: `/v1/permits/${permit.id}` },
      { method: 'GET', url: `/v1/permits/${permit.id}/events` },
      { method: 'GET', url: `/v1/permits/${permit.id}/document` },
      { method: 'POST', url: `/v1/permits/${permit.id}/cancel`, payload: {} },
      { method: 'GET', url: `/v1/permits/${permit.id}/realisation-reports` },
      { method: 'GET', url: `/v1/permits/${permit.id}/surveyor-reports` },
      { method: 'GET', url: `/v1/permits?clientReference=${encodeURIComponent(permit.client_reference)}` },
    )
  }
  let sent = 0
  const leaks: string[] = []
  const wrongStatus: string[] = []
  while (sent < 1000) {
    for (const probe of probes) {
      if (sent >= 1000) break
      sent += 1
      const response = await api(app, myToken, probe.method, probe.url, probe.payload)
      const listFiltered = probe.url.includes('?clientReference=') && response.statusCode === 200
      if (![403, 404].includes(response.statusCode) && !listFiltered) wrongStatus.push(`${probe.method} ${probe.url}: ${response.statusCode}`)
      const found = secrets.find((secret) => response.body.includes(secret) && !probe.url.includes(secret))
      if (found) leaks.push(`${probe.method} ${probe.url} showed ${found}`)
    }
  }
  t.equal(sent, 1000, '1,000 probes')
  t.same([...new Set(wrongStatus)], [], 'every probe of their objects is 403 or 404 (a filtered list is empty)')
  t.same([...new Set(leaks)], [], '0 leaks: no answer names any of their objects')
  // The objects are untouched, and their owner still sees them.
  t.equal((await api(app, theirToken, 'GET', `/v1/orgs/${theirs.orgId}/groups/${groupId}`)).json().name, 'Their secret group')
  t.equal((await api(app, theirToken, 'GET', `/v1/orgs/${theirs.orgId}/webhooks/${webhookId}`)).statusCode, 200)
  t.equal((await api(app, theirToken, 'GET', `/v1/permits/${permits[0]!.id}`)).statusCode, 200)
})

t.test('API2: a corpus of forged and misused tokens, every one 401', async (t) => {
  const base = minter.claims({ sub: mine.superAdmin.userId, client_id: 'swagger-ui', scope: SCOPES, org_id: mine.orgId })
  const now = Math.floor(Date.now() / 1000)
  const header = minter.header()
  const good = jwt(header, base, minter.signer)
  const [goodHead, goodBody, goodSignature] = good.split('.') as [string, string, string]
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  const publicPem = minter.publicKey.export({ type: 'spki', format: 'pem' })
  const tampered = Buffer.from(JSON.stringify({ ...base, org_id: theirs.orgId })).toString('base64url')
  const corpus: Record<string, string> = {
    'alg none': jwt({ ...header, alg: 'none' }, base, { alg: 'none' }),
    'alg none with the real signature': `${Buffer.from(JSON.stringify({ ...header, alg: 'none' })).toString('base64url')}.${goodBody}.${goodSignature}`,
    'HS256 keyed with the public key': jwt({ ...header, alg: 'HS256' }, base, { alg: 'HS256', secret: publicPem }),
    expired: jwt(header, { ...base, iat: now - 900, exp: now - 600 }, minter.signer),
    'not yet valid (nbf)': jwt(header, { ...base, nbf: now + 600 }, minter.signer),
    'wrong issuer': jwt(header, { ...base, iss: 'https://evil.example/oidc' }, minter.signer),
    'wrong audience': jwt(header, { ...base, aud: 'https://other-api.example' }, minter.signer),
    'ID token (typ JWT, audience a client)': jwt({ ...header, typ: 'JWT' }, { ...base, aud: 'swagger-ui' }, minter.signer),
    'unknown kid': jwt({ ...header, kid: 'no-such-key' }, base, minter.signer),
    'another key under the right kid': jwt(header, base, { alg: 'ES256', key: otherKey }),
    'tampered payload (another organisation)': `${goodHead}.${tampered}.${goodSignature}`,
    'signature stripped': `${goodHead}.${goodBody}.`,
    'refresh token (opaque) as a bearer': randomUUID().replaceAll('-', '') + randomUUID().replaceAll('-', ''),
    'two tokens glued': `${good}.${good}`,
    'not base64': '!!!.???.***',
  }
  t.ok(Object.keys(corpus).length >= 12, `${Object.keys(corpus).length} forged tokens`)
  t.equal((await api(app, good, 'GET', '/v1/me')).statusCode, 200, 'the untouched token is accepted (the corpus is sound)')
  for (const [name, token] of Object.entries(corpus)) {
    const response = await api(app, token, 'GET', '/v1/me')
    t.equal(response.statusCode, 401, name)
    t.match(String(response.headers['www-authenticate']), /^Bearer/, `${name}: a Bearer challenge`)
  }
})

t.test('API3: lists show no secret, hash or full NIK; the contract offers no owner or level to assign', async (t) => {
  const clients = (await api(app, myToken, 'GET', `/v1/orgs/${mine.orgId}/clients`)).body
  for (const client of mine.clients) t.notOk(clients.includes(client.clientSecret), `${client.kind}: the secret is not listed`)
  t.notMatch(clients, /secret_hash|client_secret/, 'no secret column')
  const users = (await api(app, myToken, 'GET', `/v1/orgs/${mine.orgId}/users`)).json().items as { nik?: string }[]
  t.ok(users.every((user) => user.nik === null || user.nik === undefined || user.nik.includes('*')), 'NIK masked in the list')
  t.notMatch(JSON.stringify(users), /password|hash/i, 'no password material')
  const smuggled = await api(app, myToken, 'POST', `/v1/orgs/${mine.orgId}/groups`, { level: 'non_admin', name: 'smuggler', rights: [], organisationId: theirs.orgId })
  t.equal(smuggled.statusCode, 422, 'an organisation id in a body is refused, not ignored')
})

t.test('API5: a member on operator functions and a non-admin on admin functions: 403', async (t) => {
  for (const url of ['/v1/operator/registrations', '/v1/operator/jobs', '/v1/operator/compliance']) {
    t.equal((await api(app, myToken, 'GET', url)).statusCode, 403, `member → ${url}`)
  }
  t.equal((await api(app, myToken, 'POST', '/v1/operator/compliance/evaluations')).statusCode, 403, 'member → run the sanctions evaluation')
  const operator = await operatorToken(app, db, minter)
  t.equal((await api(app, operator, 'GET', '/v1/operator/jobs')).statusCode, 200, 'the operator is let in (the check is the right one)')
  const readOnly = minter.forUser(mine.superAdmin.userId, { orgId: mine.orgId, scope: 'openid org:read' })
  const created = await api(app, readOnly, 'POST', `/v1/orgs/${mine.orgId}/groups`, { level: 'non_admin', name: 'via read scope', rights: [] })
  t.equal(created.statusCode, 403, 'org:read cannot create a group')
})

t.test('API8: no framework banner, no stack trace, no CORS for a foreign origin', async (t) => {
  const responses: LightMyRequestResponse[] = [
    await app.inject({ url: '/health/live' }),
    await api(app, myToken, 'GET', '/v1/me'),
    await app.inject({ method: 'POST', url: `/v1/orgs/${mine.orgId}/groups`, headers: { authorization: `Bearer ${myToken}`, 'content-type': 'application/json' }, payload: '{"level":' }),
    await app.inject({ url: '/v1/no-such-route' }),
  ]
  for (const response of responses) {
    t.notOk(response.headers['x-powered-by'], `${response.statusCode}: no x-powered-by`)
    t.notMatch(response.body, /at [\w.<>]+ \(|node_modules|\.ts:\d+/, `${response.statusCode}: no stack trace`)
  }
  const preflight = await app.inject({ method: 'OPTIONS', url: '/v1/me', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } })
  t.notOk(preflight.headers['access-control-allow-origin'], 'a foreign origin gets no Access-Control-Allow-Origin')
  const simple = await api(app, myToken, 'GET', '/v1/me', undefined, { origin: 'https://evil.example' })
  t.notOk(simple.headers['access-control-allow-origin'], 'nor on the answer itself')
})

/**
 * Served outside the contract, knowingly: the OIDC provider (its own discovery document), the
 * sign-in and account pages, Swagger UI and the contract itself, the sandbox mailbox page, the
 * operator console (pages for people, which call the API as the operator).
 */
const OUTSIDE_THE_CONTRACT = [/^\/oidc(\/|$)/, /^\/docs(\/|$)/, /^\/openapi\.json$/, /^\/interaction\//, /^\/account\//, /^\/sandbox\/mailbox$/, /^\/console(\/|$)/]

t.test('API9: every served route is in the contract or knowingly outside it; every operation is served', async (t) => {
  const document = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> }
  const contract = new Set<string>()
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of Object.keys(item)) if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) contract.add(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`)
  }
  const served = new Set(app.routeInventory.filter((route) => route.method !== 'HEAD' && route.method !== 'OPTIONS').map((route) => `${route.method} ${route.url}`))
  const undocumented = [...served].filter((route) => !contract.has(route) && !OUTSIDE_THE_CONTRACT.some((pattern) => pattern.test(route.split(' ')[1]!)))
  t.same(undocumented, [], 'no route served that the contract does not list')
  for (const pattern of OUTSIDE_THE_CONTRACT) t.ok([...served].some((route) => pattern.test(route.split(' ')[1]!)), `${pattern}: the exception is still needed`)
  t.same([...contract].filter((operation) => !served.has(operation)), [], 'no operation listed that is not served')
  t.ok(contract.size >= 90, `${contract.size} operations checked`)
})
