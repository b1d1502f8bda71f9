/**
 * Machine clients: created by super admins and admins with scopes capped by the kind and by the
 * creator's rights, secret shown once and stored hashed, rotation with a grace period, revocation
 * that stops existing tokens at once; per route, another organisation is 404 and no right 403.
 */
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { digestSecret } from '../../src/identity/clients.ts'
import { buildTestApp } from '../helpers/app.ts'
import { api, createActiveUser, createGroup, createOrg, setupRbacTest, userToken } from '../helpers/orgs.ts'

const { context, app, minter, db } = await setupRbacTest(t)

const orgA = await createOrg(app, '8120000000001')
const orgB = await createOrg(app, '8120000000010')
const superA = userToken(minter, orgA.superAdmin.userId, orgA.orgId)
const catalogue = { menu: 'API_CATALOGUE', actions: ['create', 'view', 'edit', 'delete'] }
const adminGroup = await createGroup(app, superA, orgA.orgId, { level: 'admin', name: 'Integrators', rights: [catalogue, { menu: 'SSM_PERIZINAN', actions: ['view'] }] })
const adminA = userToken(minter, await createActiveUser(app, context, superA, orgA.orgId, 'admin', adminGroup), orgA.orgId)
const nonAdminGroup = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'Catalogue users', rights: [catalogue] })
const nonAdminA = userToken(minter, await createActiveUser(app, context, superA, orgA.orgId, 'non_admin', nonAdminGroup), orgA.orgId)
const plainGroup = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'Plain', rights: [{ menu: 'SSM_PERIZINAN', actions: ['view'] }] })
const plainA = userToken(minter, await createActiveUser(app, context, superA, orgA.orgId, 'non_admin', plainGroup), orgA.orgId)
const clientB = orgB.clients[0]!.clientId

const clients = (orgId: string) => `/v1/orgs/${orgId}/clients`

function tokenRequest(target: FastifyInstance, clientId: string, secret: string, scope: string) {
  return target.inject({
    method: 'POST',
    url: '/oidc/token',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  })
}

t.test('a super admin creates a surveyor client; the secret is shown once and stored hashed', async (t) => {
  const response = await api(app, superA, 'POST', clients(orgA.orgId), { name: 'PT Surveyor', kind: 'surveyor', scopes: ['reports:write'] })
  t.equal(response.statusCode, 201, response.body)
  const { client, clientSecret, tokenUrl } = response.json()
  t.match(client, { organisationId: orgA.orgId, kind: 'surveyor', scopes: ['reports:write'], status: 'active', createdBy: orgA.superAdmin.userId })
  t.match(clientSecret, /^insw_cs_/)
  t.equal(tokenUrl, 'http://gateway.test/oidc/token')
  const row = await db.selectFrom('machine_clients').selectAll().where('client_id', '=', client.clientId).executeTakeFirstOrThrow()
  t.equal(row.secret_hash, digestSecret(clientSecret), 'only the digest is stored')
  const read = await api(app, superA, 'GET', `${clients(orgA.orgId)}/${client.clientId}`)
  t.equal(read.statusCode, 200)
  t.notMatch(read.body, new RegExp(clientSecret), 'never shown again')
  const token = await tokenRequest(app, client.clientId, clientSecret, 'reports:write')
  t.equal(token.statusCode, 200, 'the client gets a token')
  const me = await api(app, token.json().access_token, 'GET', '/v1/me')
  t.match(me.json(), { kind: 'client', client: { kind: 'surveyor' }, scopes: [{ scope: 'reports:write' }] })
  t.equal((await tokenRequest(app, client.clientId, clientSecret, 'permits:write')).statusCode, 400, 'no scope beyond its own')
})

t.test('scopes: within the kind, and within the creator\'s own rights', async (t) => {
  const beyondKind = await api(app, superA, 'POST', clients(orgA.orgId), { name: 'Greedy surveyor', kind: 'surveyor', scopes: ['permits:write'] })
  t.equal(beyondKind.statusCode, 422, 'a surveyor may not submit permits')
  const orgAdmin = await api(app, superA, 'POST', clients(orgA.orgId), { name: 'Admin bot', kind: 'inhouse', scopes: ['org:admin'] })
  t.equal(orgAdmin.statusCode, 422, 'no client manages the organisation')
  const beyondRights = await api(app, adminA, 'POST', clients(orgA.orgId), { name: 'Reports bot', kind: 'surveyor', scopes: ['reports:write'] })
  t.equal(beyondRights.statusCode, 403, 'the admin holds no Pelaporan Realisasi right')
  const within = await api(app, adminA, 'POST', clients(orgA.orgId), { name: 'Permit reader', kind: 'inhouse', scopes: ['permits:read'] })
  t.equal(within.statusCode, 201, 'View on SSM Perizinan covers permits:read')
  const write = await api(app, adminA, 'POST', clients(orgA.orgId), { name: 'Permit writer', kind: 'inhouse', scopes: ['permits:write'] })
  t.equal(write.statusCode, 403, 'but not permits:write')
  const nonAdmin = await api(app, nonAdminA, 'POST', clients(orgA.orgId), { name: 'By a non-admin', kind: 'inhouse', scopes: ['permits:read'] })
  t.equal(nonAdmin.statusCode, 403, 'non-admins create no clients, whatever their rights')
  for (const extra of [{ clientId: 'inhouse-chosen' }, { organisationId: orgB.orgId }, { status: 'active' }, { secret: 'mine' }]) {
    const response = await api(app, superA, 'POST', clients(orgA.orgId), { name: 'Extra', kind: 'inhouse', scopes: ['permits:read'], ...extra })
    t.equal(response.statusCode, 422, `${Object.keys(extra)[0]} in the body: 422`)
  }
})

t.test('rotation: the old secret keeps working for the grace period only', async (t) => {
  const created = (await api(app, superA, 'POST', clients(orgA.orgId), { name: 'Rotating', kind: 'insurer', scopes: ['permits:read'] })).json()
  const { clientId } = created.client
  const oldSecret = created.clientSecret
  const rotated = await api(app, superA, 'POST', `${clients(orgA.orgId)}/${clientId}/rotate-secret`, { graceSeconds: 600 })
  t.equal(rotated.statusCode, 200, rotated.body)
  const newSecret = rotated.json().clientSecret
  t.not(newSecret, oldSecret)
  t.ok(rotated.json().client.previousSecretExpiresAt, 'the grace end is shown')
  t.equal((await tokenRequest(app, clientId, newSecret, 'permits:read')).statusCode, 200, 'new secret works')
  t.equal((await tokenRequest(app, clientId, oldSecret, 'permits:read')).statusCode, 200, 'old secret still works during the grace')
  const again = await api(app, superA, 'POST', `${clients(orgA.orgId)}/${clientId}/rotate-secret`, { graceSeconds: 0 })
  t.equal(again.statusCode, 200)
  t.equal((await tokenRequest(app, clientId, newSecret, 'permits:read')).statusCode, 401, 'no grace: the previous secret stops at once')
  t.equal((await tokenRequest(app, clientId, oldSecret, 'permits:read')).statusCode, 401, 'and the one before it too')
  t.equal((await tokenRequest(app, clientId, again.json().clientSecret, 'permits:read')).statusCode, 200)
  const audit = await db.selectFrom('audit_events').select('action').where('target_id', '=', clientId).orderBy('occurred_at').execute()
  t.same(audit.map((row) => row.action), ['client.created', 'client.secret_rotated', 'client.secret_rotated'])
})

t.test('the token endpoint reuses a client\'s metadata, yet a secret rotated on another instance works at once', async (t) => {
  const created = (await api(app, superA, 'POST', clients(orgA.orgId), { name: 'Reused', kind: 'inhouse', scopes: ['org:read'] })).json()
  const { clientId } = created.client
  t.equal((await tokenRequest(app, clientId, created.clientSecret, 'org:read')).statusCode, 200, 'metadata read, and kept')
  // Another instance rotates: the database changes, this instance's reused metadata does not.
  const newSecret = 'insw_cs_rotated-elsewhere-0123456789abcdefghijklmnopqrstuv'
  await db.updateTable('machine_clients').set({ secret_hash: digestSecret(newSecret) }).where('client_id', '=', clientId).execute()
  t.equal((await tokenRequest(app, clientId, newSecret, 'org:read')).statusCode, 200, 'the new secret is checked against the database')
  t.equal((await tokenRequest(app, clientId, created.clientSecret, 'org:read')).statusCode, 401, 'and the old one, without grace, is refused')
  t.equal((await tokenRequest(app, clientId, 'insw_cs_wrong', 'org:read')).statusCode, 401, 'a wrong secret is still refused')
})

t.test('revocation rejects the client\'s existing tokens at once', async (t) => {
  const created = (await api(app, superA, 'POST', clients(orgA.orgId), { name: 'Doomed', kind: 'inhouse', scopes: ['org:read'] })).json()
  const { clientId } = created.client
  const token = (await tokenRequest(app, clientId, created.clientSecret, 'org:read')).json().access_token
  t.equal((await api(app, token, 'GET', '/v1/me')).statusCode, 200, 'works before')
  const revoked = await api(app, adminA, 'POST', `${clients(orgA.orgId)}/${clientId}/revoke`)
  t.equal(revoked.statusCode, 200)
  t.match(revoked.json(), { status: 'revoked' })
  const after = await api(app, token, 'GET', '/v1/me')
  t.equal(after.statusCode, 401, 'the same token is refused on the next request')
  t.equal(after.json().code, 'INVALID_TOKEN')
  t.equal((await tokenRequest(app, clientId, created.clientSecret, 'org:read')).statusCode, 401, 'and it gets no new token')
  t.equal((await api(app, adminA, 'POST', `${clients(orgA.orgId)}/${clientId}/revoke`)).statusCode, 409, 'revoking twice is a conflict')
  t.equal((await api(app, adminA, 'POST', `${clients(orgA.orgId)}/${clientId}/rotate-secret`, {})).statusCode, 409, 'a revoked client gets no new secret')
})

t.test('revocation reaches other instances within the status cache lifetime', async (t) => {
  const other = await buildTestApp(t, context)
  await other.ready()
  const created = (await api(app, superA, 'POST', clients(orgA.orgId), { name: 'Seen elsewhere', kind: 'inhouse', scopes: ['org:read'] })).json()
  const token = (await tokenRequest(app, created.client.clientId, created.clientSecret, 'org:read')).json().access_token
  t.equal((await api(other, token, 'GET', '/v1/me')).statusCode, 200, 'the other instance caches the client as active')
  t.equal((await api(app, superA, 'POST', `${clients(orgA.orgId)}/${created.client.clientId}/revoke`)).statusCode, 200)
  // The other instance's cache entry would live up to CLIENT_STATUS_TTL_MS; forget it as that time passing would.
  other.machineClientStatus.forget(created.client.clientId)
  t.equal((await api(other, token, 'GET', '/v1/me')).statusCode, 401, 'refused there once its cache entry is stale')
})

t.test('machine clients act within their scopes on organisation routes', async (t) => {
  const inhouse = orgA.clients.find((c) => c.kind === 'inhouse')!
  const token = (await tokenRequest(app, inhouse.clientId, inhouse.clientSecret, 'org:read')).json().access_token
  t.equal((await api(app, token, 'GET', `/v1/orgs/${orgA.orgId}/users`)).statusCode, 200, 'org:read lists users')
  t.equal((await api(app, token, 'GET', clients(orgA.orgId))).statusCode, 403, 'but not the API catalogue')
  t.equal((await api(app, token, 'GET', `/v1/orgs/${orgB.orgId}/users`)).statusCode, 404, 'nor another organisation')
})

t.test('every client route: another organisation is 404, a missing right is 403', async (t) => {
  const mine = orgA.clients[0]!.clientId
  const routes: { method: 'GET' | 'POST'; path: (orgId: string, clientId: string) => string; body?: unknown }[] = [
    { method: 'GET', path: (o) => clients(o) },
    { method: 'POST', path: (o) => clients(o), body: { name: 'Probe', kind: 'inhouse', scopes: ['permits:read'] } },
    { method: 'GET', path: (o, c) => `${clients(o)}/${c}` },
    { method: 'POST', path: (o, c) => `${clients(o)}/${c}/rotate-secret`, body: {} },
    { method: 'POST', path: (o, c) => `${clients(o)}/${c}/revoke` },
  ]
  for (const route of routes) {
    const label = `${route.method} ${route.path(':orgId', ':clientId')}`
    t.equal((await api(app, superA, route.method, route.path(orgB.orgId, clientB), route.body)).statusCode, 404, `${label}: another organisation's path is 404`)
    if (route.path('o', 'c') !== clients('o')) {
      t.equal((await api(app, superA, route.method, route.path(orgA.orgId, clientB), route.body)).statusCode, 404, `${label}: another organisation's client under my path is 404`)
    }
    t.equal((await api(app, plainA, route.method, route.path(orgA.orgId, mine), route.body)).statusCode, 403, `${label}: without the API Catalogue right, 403`)
  }
})
