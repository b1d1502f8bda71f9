/**
 * An unreported change of the business profile freezes business licences: a platform operator's
 * re-sync that finds a change in OSS applies the `profile_change` freeze to an organisation
 * holding business licences (told, blocking); the organisation's own re-sync is how it reports a
 * change, and freezes nothing.
 */
import t from 'tap'
import { issuePermit, operatorToken, setupComplianceTest, wib } from '../helpers/compliance.ts'
import { api, createOrg } from '../helpers/orgs.ts'

const { context, app, db, minter } = await setupComplianceTest(t)
const operator = await operatorToken(app, db, minter)
const NIB = '8120000000001'
const org = await createOrg(app, NIB)
const admin = minter.forUser(org.superAdmin.userId, { orgId: org.orgId, scope: 'openid org:read org:admin reports:read' })
t.teardown(() => fetch(`${context.sandbox.ossUrl}/__sandbox/reset`, { method: 'POST' }))

async function renameAtOss(name: string, at: string) {
  const identity = (await (await fetch(`${context.sandbox.ossUrl}/__sandbox/identities/${NIB}`)).json()) as { oss: Record<string, unknown> }
  const put = await fetch(`${context.sandbox.ossUrl}/__sandbox/identities/${NIB}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...identity, oss: { ...identity.oss, name, lastChangedAt: at } }),
  })
  if (put.status !== 200) throw new Error(await put.text())
}

const sanctions = () => db.selectFrom('sanctions').selectAll().where('organisation_id', '=', org.orgId).where('kind', '=', 'profile_change').execute()

t.test('without business licences nothing is frozen', async (t) => {
  await renameAtOss('PT Sandbox Impor Sejahtera Satu', '2026-11-20T01:00:00Z')
  const synced = await api(app, operator, 'POST', `/v1/orgs/${org.orgId}/sync`)
  t.equal(synced.statusCode, 200)
  t.notOk(synced.json().sanctionId)
  t.same(await sanctions(), [])
})

t.test('the organisation\'s own re-sync reports the change: no freeze', async (t) => {
  await issuePermit(app, db, { nib: NIB, issuedAt: wib('2026-10-01T10:00:00'), validUntil: wib('2027-09-30T10:00:00') })
  await renameAtOss('PT Sandbox Impor Sejahtera Dua', '2026-11-21T01:00:00Z')
  const synced = await api(app, admin, 'POST', `/v1/orgs/${org.orgId}/sync`)
  t.equal(synced.statusCode, 200)
  t.same(synced.json().changes.map((change: { field: string }) => change.field).sort(), ['name', 'ossLastChangedAt'])
  t.notOk(synced.json().sanctionId)
  t.same(await sanctions(), [])
})

t.test('an operator\'s re-sync finding an unreported change freezes the business licences', async (t) => {
  const nothing = await api(app, operator, 'POST', `/v1/orgs/${org.orgId}/sync`)
  t.notOk(nothing.json().sanctionId, 'no change, no freeze')
  await renameAtOss('PT Sandbox Impor Sejahtera Tiga', '2026-11-22T01:00:00Z')
  const synced = await api(app, operator, 'POST', `/v1/orgs/${org.orgId}/sync`)
  t.equal(synced.statusCode, 200)
  const [freeze] = await sanctions()
  t.equal(synced.json().sanctionId, freeze!.id)
  t.match(freeze, { code: 'licence_freeze', step: 1, blocks_submissions: true, status: 'active', applied_by_type: 'system' })
  t.match(freeze!.reason, /\(name\) without being reported/)
  const standing = (await api(app, admin, 'GET', '/v1/compliance')).json()
  t.equal(standing.standing, 'blocked')
  const told = await db.selectFrom('notifications').select(['type', 'subject_id']).where('organisation_id', '=', org.orgId).where('type', '=', 'sanction.applied').execute()
  t.same(told.map((row) => row.subject_id), [freeze!.id])
})
