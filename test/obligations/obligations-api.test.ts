/**
 * GET /v1/obligations: created when a licence is issued (through the callback path), in the
 * caller's organisation only, filtered by state, permit, kind and due dates, with the ladder
 * that applies; business time moved in the sandbox turns a due obligation overdue.
 */
import t from 'tap'
import { issuePermit, setupComplianceTest, wib } from '../helpers/compliance.ts'
import { api, createOrg } from '../helpers/orgs.ts'

const { app, db, minter } = await setupComplianceTest(t)
const org = await createOrg(app, '8120000000001')
const other = await createOrg(app, '8120000000011')
const reader = minter.forUser(org.superAdmin.userId, { orgId: org.orgId, scope: 'openid reports:read' })
const otherReader = minter.forUser(other.superAdmin.userId, { orgId: other.orgId, scope: 'openid reports:read' })
// The fields these tests read of an obligation (the contract test checks the whole shape).
type Item = { id: string; permitId: string; period: string; dueDate: string; status: string; daysOverdue: number; ladder: unknown[]; links: { reports: string } }

t.afterEach(async () => {
  await app.businessClock.setOffset(0)
})

const steel = await issuePermit(app, db, { nib: '8120000000001', permitType: 'PI-BAJA', issuedAt: wib('2026-10-20T10:00:00'), validUntil: wib('2027-01-10T10:00:00') })
const sugar = await issuePermit(app, db, { nib: '8120000000001', permitType: 'PI-GULA', issuedAt: wib('2026-11-03T10:00:00'), validUntil: wib('2027-05-02T10:00:00') })

t.test('an issued licence creates its obligations, earliest deadline first, with the ladder', async (t) => {
  await app.businessClock.setOffset(wib('2026-11-01T12:00:00').getTime() - Date.now())
  const response = await api(app, reader, 'GET', `/v1/obligations?permitId=${steel.id}`)
  t.equal(response.statusCode, 200)
  const items = response.json().items as Item[]
  t.same(items.map((o) => [o.period, o.dueDate, o.status]), [
    ['2026-10', '2026-11-16', 'due'],
    ['2026-11', '2026-12-15', 'due'],
    ['2026-12', '2027-01-15', 'due'],
    ['2027-01', '2027-02-15', 'due'],
  ])
  t.match(items[0], { kind: 'business_licence', rule: 'monthly_15th', nominalDueDate: '2026-11-15', movedBecause: 'weekend', dueAt: '2026-11-16T16:59:59.999Z', daysOverdue: 0, sanctionStep: 0, reportId: null })
  t.match(items[0]!.ladder[0], { step: 1, code: 'electronic_warning', daysOverdue: 1, appliesOn: '2026-11-17', blocksSubmissions: false })
  t.match(items[0]!.ladder[1], { step: 2, code: 'licence_freeze', daysOverdue: 30, appliesOn: '2026-12-16', blocksSubmissions: true })
  t.equal(items[0]!.links.reports, `/v1/permits/${steel.id}/realisation-reports`)
})

t.test('moving business time past a deadline makes it overdue, counted in whole days', async (t) => {
  await app.businessClock.setOffset(wib('2026-11-19T09:00:00').getTime() - Date.now())
  const overdue = (await api(app, reader, 'GET', '/v1/obligations?status=overdue')).json().items as Item[]
  t.same(overdue.map((o) => [o.permitId, o.period, o.daysOverdue]), [[steel.id, '2026-10', 3]])
  const due = (await api(app, reader, 'GET', `/v1/obligations?status=due&permitId=${steel.id}`)).json().items as Item[]
  t.same(due.map((o) => o.period), ['2026-11', '2026-12', '2027-01'])
})

t.test('filters by kind and by due dates; pages with a cursor', async (t) => {
  const importer = (await api(app, reader, 'GET', '/v1/obligations?kind=importer_id')).json().items as Item[]
  t.same(importer.map((o) => [o.permitId, o.period, o.dueDate]), [
    [sugar.id, '2026-11/2026-12', '2026-12-31'],
    [sugar.id, '2027-01/2027-01', '2027-02-01'],
    [sugar.id, '2027-02/2027-04', '2027-04-30'],
    [sugar.id, '2027-05/2027-07', '2027-08-02'], // 31 July 2027 is a Saturday
  ])
  const december = (await api(app, reader, 'GET', '/v1/obligations?dueFrom=2026-12-01&dueTo=2026-12-31')).json().items as Item[]
  t.same(december.map((o) => o.dueDate).sort(), ['2026-12-15', '2026-12-31'])
  const first = (await api(app, reader, 'GET', '/v1/obligations?limit=3')).json()
  t.equal(first.items.length, 3)
  const second = (await api(app, reader, 'GET', first.next)).json()
  const all = (await api(app, reader, 'GET', '/v1/obligations?limit=100')).json().items as Item[]
  t.same([...first.items, ...second.items].map((o: { id: string }) => o.id), all.slice(0, 3 + second.items.length).map((o) => o.id))
  t.equal(all.length, 8)
})

t.test('another organisation sees none of them; a bad filter is a 422 problem', async (t) => {
  const others = await api(app, otherReader, 'GET', '/v1/obligations')
  t.equal(others.statusCode, 200)
  t.same(others.json().items, [])
  const bad = await api(app, reader, 'GET', '/v1/obligations?status=late&dueFrom=15-11-2026')
  t.equal(bad.statusCode, 422)
  t.equal(bad.json().code, 'VALIDATION_FAILED')
  const noScope = await api(app, minter.forUser(org.superAdmin.userId, { orgId: org.orgId, scope: 'openid permits:read' }), 'GET', '/v1/obligations')
  t.equal(noScope.statusCode, 403)
})
