/**
 * Issue 8 item 14: the audit log's request id was whatever X-Request-Id the caller sent, so a
 * caller could give many changes one id, or reuse the id of someone else's request. The gateway's
 * own id is recorded; the caller's value is kept as a separate field.
 */
import t from 'tap'
import { api, createGroup, createOrg, setupRbacTest, userToken } from '../helpers/orgs.ts'

const { app, minter, db } = await setupRbacTest(t)
const org = await createOrg(app, '8120000000001')
const superAdmin = userToken(minter, org.superAdmin.userId, org.orgId)
const group = await createGroup(app, superAdmin, org.orgId, { level: 'non_admin', name: 'Audit probe', rights: [{ menu: 'SSM_PERIZINAN', actions: ['view'] }] })

t.test('two changes sent with one caller id get two gateway ids, and keep the caller id apart', async (t) => {
  const reused = 'someone-elses-request-1'
  const first = await api(app, superAdmin, 'PATCH', `/v1/orgs/${org.orgId}/groups/${group}`, { name: 'Audit probe 2' }, { 'x-request-id': reused })
  const second = await api(app, superAdmin, 'PATCH', `/v1/orgs/${org.orgId}/groups/${group}`, { name: 'Audit probe 3' }, { 'x-request-id': reused })
  t.equal(first.statusCode, 200, first.body)
  t.equal(second.statusCode, 200, second.body)
  for (const response of [first, second]) t.not(response.headers['x-request-id'], reused, 'the answer carries the gateway id')

  const rows = await db.selectFrom('audit_events').select(['request_id', 'caller_request_id']).where('target_id', '=', group).where('action', '=', 'group.updated').execute()
  t.equal(rows.length, 2)
  t.same(rows.map((row) => row.request_id).sort(), [first.headers['x-request-id'], second.headers['x-request-id']].sort(), 'request_id is the gateway id')
  t.not(rows[0]!.request_id, rows[1]!.request_id)
  t.same(rows.map((row) => row.caller_request_id), [reused, reused], 'the caller id is a separate field')

  const page = await api(app, superAdmin, 'GET', `/v1/orgs/${org.orgId}/audit-events?action=group.updated&limit=1`)
  t.match(page.json().items[0], { requestId: second.headers['x-request-id'], callerRequestId: reused })
})

t.test('a change without X-Request-Id has no caller id', async (t) => {
  const response = await api(app, superAdmin, 'PATCH', `/v1/orgs/${org.orgId}/groups/${group}`, { name: 'Audit probe 4' })
  t.equal(response.statusCode, 200)
  const row = await db.selectFrom('audit_events').select(['request_id', 'caller_request_id']).where('request_id', '=', response.headers['x-request-id'] as string).executeTakeFirstOrThrow()
  t.equal(row.caller_request_id, null)
})
