// GET /v1/permit-types and /v1/permit-types/{code}: authenticated, the full type with its payload
// schema, 404 for an unknown code, and ETag revalidation.
import t from 'tap'
import { loadPermitTypes } from '../../src/modules/permit-types/registry.ts'
import { api, createOrg, setupRbacTest } from '../helpers/orgs.ts'

const { app, minter } = await setupRbacTest(t)
const org = await createOrg(app, '8120000000001')
const userToken = minter.forUser(org.superAdmin.userId, { orgId: org.orgId, scope: 'openid' })
const inhouse = org.clients.find((client) => client.kind === 'inhouse')!
const surveyor = org.clients.find((client) => client.kind === 'surveyor')
const fixture = loadPermitTypes()

t.test('no token, a bad token: 401 problems', async (t) => {
  const none = await app.inject({ method: 'GET', url: '/v1/permit-types' })
  t.equal(none.statusCode, 401)
  t.equal(none.json().code, 'UNAUTHENTICATED')
  t.match(none.headers['content-type'], /application\/problem\+json/)
  const bad = await api(app, 'not.a.token', 'GET', '/v1/permit-types/PI-BAJA')
  t.equal(bad.statusCode, 401)
  t.equal(bad.json().code, 'INVALID_TOKEN')
})

t.test('a signed-in user lists every type, payload schema included, cacheable', async (t) => {
  const response = await api(app, userToken, 'GET', '/v1/permit-types')
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /application\/json/)
  t.same(response.json(), { items: fixture.list() }, 'exactly the fixture')
  t.match(response.headers.etag, /^"[A-Za-z0-9_-]{32}"$/)
  t.equal(response.headers['cache-control'], 'private, max-age=300')
  const steel = response.json().items.find((type: { code: string }) => type.code === 'PI-BAJA')
  t.equal(steel.payloadSchema.properties.lines.maxItems, 100)
})

t.test('one type by code; an unknown code is a 404 problem', async (t) => {
  const response = await api(app, userToken, 'GET', '/v1/permit-types/SK-TRANSAKSI')
  t.equal(response.statusCode, 200)
  t.same(response.json(), fixture.get('SK-TRANSAKSI'))
  t.equal(response.json().reportingObligation.workingDays, 15)

  const unknown = await api(app, userToken, 'GET', '/v1/permit-types/PI-NOTHING', undefined, { 'accept-language': 'id' })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().code, 'NOT_FOUND')
  t.match(unknown.json().detail, /jenis izin/)
  t.match(unknown.headers['content-type'], /application\/problem\+json/)

  const unbounded = await api(app, userToken, 'GET', `/v1/permit-types/${'A'.repeat(60)}`)
  t.equal(unbounded.statusCode, 422, 'an over-long code is refused by the contract, not looked up')
  t.equal(unbounded.json().code, 'VALIDATION_FAILED')
})

t.test('If-None-Match with the ETag answers 304 without a body; another ETag gets the body', async (t) => {
  const first = await api(app, userToken, 'GET', '/v1/permit-types/PE-BATUBARA')
  const etag = first.headers.etag as string
  const again = await api(app, userToken, 'GET', '/v1/permit-types/PE-BATUBARA', undefined, { 'if-none-match': etag })
  t.equal(again.statusCode, 304)
  t.equal(again.body, '')
  t.equal(again.headers.etag, etag)
  const weak = await api(app, userToken, 'GET', '/v1/permit-types/PE-BATUBARA', undefined, { 'if-none-match': `"other", W/${etag}` })
  t.equal(weak.statusCode, 304, 'weak comparison, within a list')
  const other = await api(app, userToken, 'GET', '/v1/permit-types/PE-BATUBARA', undefined, { 'if-none-match': '"stale"' })
  t.equal(other.statusCode, 200)
  t.same(other.json(), fixture.get('PE-BATUBARA'))
  const list = await api(app, userToken, 'GET', '/v1/permit-types')
  t.not(list.headers.etag, etag, 'the list and a type have their own ETags')
})

t.test('machine clients need permits:read or permits:write', async (t) => {
  t.ok(inhouse, 'the sandbox organisation has an in-house client')
  for (const scope of ['permits:read', 'permits:write']) {
    const response = await api(app, minter.forClient(inhouse.clientId, { scope }), 'GET', '/v1/permit-types')
    t.equal(response.statusCode, 200, scope)
  }
  const orgOnly = await api(app, minter.forClient(inhouse.clientId, { scope: 'org:read' }), 'GET', '/v1/permit-types/PI-BAJA')
  t.equal(orgOnly.statusCode, 403)
  t.equal(orgOnly.json().code, 'INSUFFICIENT_SCOPE')
  t.match(orgOnly.headers['www-authenticate'], /insufficient_scope/)
  if (surveyor) {
    const reports = await api(app, minter.forClient(surveyor.clientId, { scope: 'reports:write' }), 'GET', '/v1/permit-types')
    t.equal(reports.statusCode, 403, 'a surveyor client with report scopes only')
  }
})

t.test('the app shares one registry instance', async (t) => {
  t.equal(app.permitTypes.get('PI-BAJA')?.code, 'PI-BAJA')
  t.same(app.permitTypes.validatePayload('PI-BAJA', {}).map((error) => error.reason), ['required', 'required', 'required'])
})
