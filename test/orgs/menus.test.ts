/**
 * The menu catalogue, and an organisation's menus and rate limit set by platform operators only;
 * a super admin holds every right of exactly the menus the organisation has.
 */
import t from 'tap'
import { api, createActiveUser, createGroup, createOrg, setupRbacTest, userToken } from '../helpers/orgs.ts'

const { context, app, minter } = await setupRbacTest(t)

const orgA = await createOrg(app, '8120000000001')
const orgB = await createOrg(app, '8120000000010')
const superA = userToken(minter, orgA.superAdmin.userId, orgA.orgId)
const operatorResponse = await app.inject({ method: 'POST', url: '/v1/sandbox/test-operators', payload: {} })
if (operatorResponse.statusCode !== 201) throw new Error(`operator not created: ${operatorResponse.body}`)
const operator = minter.forUser(operatorResponse.json().userId, { scope: 'openid org:read org:admin' })

t.test('the catalogue lists every menu with the rights it supports', async (t) => {
  const response = await api(app, superA, 'GET', '/v1/menus')
  t.equal(response.statusCode, 200)
  const codes = response.json().items.map((menu: { code: string }) => menu.code)
  for (const code of ['SSM_PERIZINAN', 'SSM_MIGAS', 'SSM_PENGANGKUT', 'SSM_FASILITAS', 'SKBPPN', 'NERACA_KOMODITAS', 'PELAPORAN_REALISASI', 'API_CATALOGUE', 'USER_MANAGEMENT']) {
    t.ok(codes.includes(code), code)
  }
  t.match(response.json().items[0], { code: 'SSM_PERIZINAN', name: { en: String, id: 'SSM Perizinan' }, actions: ['create', 'view', 'edit', 'delete', 'approve', 'reject'] })
  t.equal(response.json().next, null)
  t.equal((await app.inject({ method: 'GET', url: '/v1/menus' })).statusCode, 401, 'needs a token')
})

t.test('an operator sets an organisation\'s menus; its super admin\'s rights follow on the next request', async (t) => {
  const before = await api(app, superA, 'GET', `/v1/orgs/${orgA.orgId}/menus`)
  t.equal(before.statusCode, 200)
  t.equal(before.json().menus.length, 9, 'a sandbox organisation has every menu')
  const set = await api(app, operator, 'PUT', `/v1/orgs/${orgA.orgId}/menus`, { menus: ['USER_MANAGEMENT', 'SSM_PERIZINAN'] })
  t.equal(set.statusCode, 200, set.body)
  t.same(set.json().menus, ['SSM_PERIZINAN', 'USER_MANAGEMENT'])
  const me = await api(app, superA, 'GET', '/v1/me')
  t.same(me.json().rights.map((r: { menu: string }) => r.menu), ['SSM_PERIZINAN', 'USER_MANAGEMENT'], 'the super admin holds those menus only')
  t.equal((await api(app, superA, 'GET', `/v1/orgs/${orgA.orgId}/clients`)).statusCode, 403, 'API Catalogue is gone for the super admin')
  const audit = await api(app, superA, 'GET', `/v1/orgs/${orgA.orgId}/audit-events?action=organisation.menus_set`)
  t.match(audit.json().items, [{ actor: { kind: 'operator' }, before: { menus: before.json().menus }, after: { menus: ['SSM_PERIZINAN', 'USER_MANAGEMENT'] } }])
  t.equal((await api(app, operator, 'PUT', `/v1/orgs/${orgA.orgId}/menus`, { menus: before.json().menus })).statusCode, 200, 'restored')
})

t.test('a group grants only menus the organisation has', async (t) => {
  const group = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'Migas', rights: [{ menu: 'SSM_MIGAS', actions: ['view'] }, { menu: 'SKBPPN', actions: ['view'] }] })
  const member = userToken(minter, await createActiveUser(app, context, superA, orgA.orgId, 'non_admin', group), orgA.orgId)
  t.same((await api(app, member, 'GET', '/v1/me')).json().rights.map((r: { menu: string }) => r.menu), ['SSM_MIGAS', 'SKBPPN'])
  const all = (await api(app, operator, 'GET', `/v1/orgs/${orgA.orgId}/menus`)).json().menus as string[]
  t.equal((await api(app, operator, 'PUT', `/v1/orgs/${orgA.orgId}/menus`, { menus: all.filter((code) => code !== 'SSM_MIGAS') })).statusCode, 200)
  t.same((await api(app, member, 'GET', '/v1/me')).json().rights.map((r: { menu: string }) => r.menu), ['SKBPPN'], 'SSM Migas taken from the organisation: gone from its members')
  const kept = await api(app, superA, 'GET', `/v1/orgs/${orgA.orgId}/groups/${group}`)
  t.same(kept.json().rights.map((r: { menu: string }) => r.menu), ['SKBPPN', 'SSM_MIGAS'], 'the group keeps the right for when the menu comes back')
  t.equal((await api(app, operator, 'PUT', `/v1/orgs/${orgA.orgId}/menus`, { menus: all })).statusCode, 200)
  t.same((await api(app, member, 'GET', '/v1/me')).json().rights.map((r: { menu: string }) => r.menu), ['SSM_MIGAS', 'SKBPPN'], 'and is back with it')
})

t.test('only operators set menus and rate limits; members read, others get 404', async (t) => {
  t.equal((await api(app, superA, 'PUT', `/v1/orgs/${orgA.orgId}/menus`, { menus: ['SSM_MIGAS'] })).statusCode, 403, 'a super admin cannot change their own menus')
  t.equal((await api(app, superA, 'PUT', `/v1/orgs/${orgA.orgId}/rate-limit`, { perMinute: 10 })).statusCode, 403, 'nor the rate limit')
  t.equal((await api(app, superA, 'GET', `/v1/orgs/${orgB.orgId}/menus`)).statusCode, 404, 'another organisation\'s menus: 404')
  t.equal((await api(app, operator, 'GET', `/v1/orgs/${orgB.orgId}/menus`)).statusCode, 200, 'an operator reads any organisation')
  t.equal((await api(app, operator, 'PUT', `/v1/orgs/00000000-0000-4000-8000-000000000000/menus`, { menus: [] })).statusCode, 404, 'an unknown organisation')
  t.equal((await api(app, operator, 'PUT', `/v1/orgs/${orgA.orgId}/menus`, { menus: ['NOPE'] })).statusCode, 422, 'an unknown menu')
  t.equal((await api(app, operator, 'PUT', `/v1/orgs/${orgA.orgId}/menus`, { menus: [], organisationId: orgB.orgId })).statusCode, 422, 'unknown fields')
  t.equal((await api(app, operator, 'GET', `/v1/orgs/${orgA.orgId}/groups`)).statusCode, 404, 'operators are not members: organisation routes are 404')
})

t.test('an operator sets the organisation\'s shared client rate limit', async (t) => {
  const set = await api(app, operator, 'PUT', `/v1/orgs/${orgB.orgId}/rate-limit`, { perMinute: 1200 })
  t.equal(set.statusCode, 200)
  t.equal(set.json().rateLimitPerMinute, 1200)
  const reset = await api(app, operator, 'PUT', `/v1/orgs/${orgB.orgId}/rate-limit`, { perMinute: null })
  t.equal(reset.json().rateLimitPerMinute, null)
  t.equal((await api(app, operator, 'PUT', `/v1/orgs/${orgB.orgId}/rate-limit`, { perMinute: 0 })).statusCode, 422)
})
