/**
 * The audit log: every change with actor, target, rights before and after and the request id;
 * sign-in events; filters, cursor pagination; append-only at the database; 404 and 403.
 */
import t from 'tap'
import { authenticate } from '../../src/modules/identity/accounts/service.ts'
import { api, createActiveUser, createGroup, createOrg, setupRbacTest, userToken } from '../helpers/orgs.ts'

const { context, app, minter, db } = await setupRbacTest(t)

const orgA = await createOrg(app, '8120000000001')
const orgB = await createOrg(app, '8120000000010')
const superA = userToken(minter, orgA.superAdmin.userId, orgA.orgId)
const plainGroup = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'Plain', rights: [{ menu: 'SSM_PERIZINAN', actions: ['view'] }] })
const plainId = await createActiveUser(app, context, superA, orgA.orgId, 'non_admin', plainGroup)
const plainA = userToken(minter, plainId, orgA.orgId)
const events = (orgId: string, query = '') => `/v1/orgs/${orgId}/audit-events${query}`

t.test('a change is logged with actor, target, rights before and after, and the request id', async (t) => {
  const response = await api(app, superA, 'PATCH', `/v1/orgs/${orgA.orgId}/groups/${plainGroup}`, { rights: [{ menu: 'SSM_PERIZINAN', actions: ['view', 'edit'] }] }, { 'x-request-id': 'req-audit-1' })
  t.equal(response.statusCode, 200)
  const page = await api(app, superA, 'GET', events(orgA.orgId, '?limit=1'))
  t.equal(page.statusCode, 200)
  t.match(page.json().items[0], {
    actor: { kind: 'user', id: orgA.superAdmin.userId },
    action: 'group.rights_changed',
    target: { type: 'group', id: plainGroup },
    before: { rights: [{ menu: 'SSM_PERIZINAN', enabled: true, actions: ['view'] }] },
    after: { rights: [{ menu: 'SSM_PERIZINAN', enabled: true, actions: ['view', 'edit'] }] },
    requestId: response.headers['x-request-id'],
    callerRequestId: 'req-audit-1',
  })
})

t.test('sign-in events: success, failure and lockout', async (t) => {
  const username = orgA.superAdmin.username
  t.match(await authenticate(db, username, orgA.superAdmin.password, { requestId: 'req-login-ok' }), { ok: true })
  t.match(await authenticate(db, username, 'Wrong-password-1!', { requestId: 'req-login-bad' }), { ok: false })
  const page = await api(app, superA, 'GET', events(orgA.orgId, '?action=login.'))
  const actions = page.json().items.map((item: { action: string; requestId: string }) => `${item.action}@${item.requestId}`)
  t.same(actions, ['login.failed@req-login-bad', 'login.succeeded@req-login-ok'])
  t.match(page.json().items[0], { actor: { kind: 'anonymous', id: null }, target: { type: 'user', id: orgA.superAdmin.userId }, after: { reason: 'invalid_credentials' } })
  for (let attempt = 0; attempt < 5; attempt++) await authenticate(db, username, 'Wrong-password-1!')
  const locked = await api(app, superA, 'GET', events(orgA.orgId, '?action=login.locked_out'))
  t.equal(locked.json().items.length, 1, 'the lockout is logged')
  await db.updateTable('users').set({ locked_until: null, failed_logins: 0, lockouts: 0 }).where('id', '=', orgA.superAdmin.userId).execute()
})

t.test('filters by actor, action and time, and pages with a cursor', async (t) => {
  const byPlain = await api(app, superA, 'GET', events(orgA.orgId, `?actor=${orgA.superAdmin.userId}&action=user.created`))
  t.ok(byPlain.json().items.length >= 1)
  for (const item of byPlain.json().items) t.match(item, { actor: { id: orgA.superAdmin.userId }, action: 'user.created' })
  const future = await api(app, superA, 'GET', events(orgA.orgId, `?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`))
  t.same(future.json().items, [], 'nothing in the future')
  const past = await api(app, superA, 'GET', events(orgA.orgId, `?to=${encodeURIComponent('2000-01-01T00:00:00Z')}`))
  t.same(past.json().items, [], 'nothing before 2000')

  const all = await api(app, superA, 'GET', events(orgA.orgId, '?limit=100'))
  const ids: string[] = []
  let url: string | null = events(orgA.orgId, '?limit=2')
  while (url) {
    const page = await api(app, superA, 'GET', url)
    ids.push(...page.json().items.map((item: { id: string }) => item.id))
    url = page.json().next
  }
  t.same(ids, all.json().items.map((item: { id: string }) => item.id), 'pages of 2 give the same events in the same order')
  t.equal(new Set(ids).size, ids.length)
  t.equal((await api(app, superA, 'GET', events(orgA.orgId, '?action=DROP TABLE'))).statusCode, 422, 'an action filter is a dotted verb')
  t.equal((await api(app, superA, 'GET', events(orgA.orgId, '?unknown=1'))).statusCode, 422, 'unknown filters are refused')
})

t.test('the log is append-only in the database', async (t) => {
  await t.rejects(db.updateTable('audit_events').set({ action: 'tampered' }).where('organisation_id', '=', orgA.orgId).execute(), /append-only/)
  await t.rejects(db.deleteFrom('audit_events').where('organisation_id', '=', orgA.orgId).execute(), /append-only/)
})

t.test('another organisation is 404, a missing right is 403', async (t) => {
  t.equal((await api(app, superA, 'GET', events(orgB.orgId))).statusCode, 404)
  t.equal((await api(app, plainA, 'GET', events(orgA.orgId))).statusCode, 403)
  const other = await api(app, superA, 'GET', events(orgA.orgId, '?limit=100'))
  t.notMatch(other.body, new RegExp(orgB.orgId), 'no event of another organisation')
})
