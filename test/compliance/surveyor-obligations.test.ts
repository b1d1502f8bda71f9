/**
 * Surveyor reports as obligations: a permit naming a surveyor makes the surveyor owe a report for
 * every month of the licence (by the 15th of the next month), shown to the surveyor's client and
 * not to the permit's holder; a verification pushed for the permit meets the month it was done in;
 * a month without one climbs the surveyor ladder on its timetable.
 */
import t from 'tap'
import { evaluateCompliance } from '../../src/modules/compliance/evaluation.ts'
import { issuePermit, setupComplianceTest, wib } from '../helpers/compliance.ts'
import { api, createOrg } from '../helpers/orgs.ts'
import { clientToken } from '../permits/helpers.ts'

const { app, db, minter } = await setupComplianceTest(t)
const owner = await createOrg(app, '8120000000001')
const surveyorOrg = await createOrg(app, '8120000000011')
const surveyor = clientToken(minter, surveyorOrg, 'surveyor', 'permits:read reports:read reports:write')
const holder = minter.forUser(owner.superAdmin.userId, { orgId: owner.orgId, scope: 'openid reports:read' })
const DAY = 86_400_000

await app.businessClock.setOffset(wib('2026-10-01T09:00:00').getTime() - Date.now())
t.teardown(() => app.businessClock.setOffset(0))
const permit = await issuePermit(app, db, { nib: '8120000000001', issuedAt: wib('2026-10-05T10:00:00'), validUntil: wib('2026-12-20T10:00:00'), surveyorOrganisationId: surveyorOrg.orgId })

t.test('the surveyor owes a monthly report for the permit it verifies; the holder sees only its own', async (t) => {
  const mine = (await api(app, surveyor, 'GET', '/v1/obligations')).json().items as { permitId: string; kind: string; period: string; dueDate: string }[]
  t.same(mine.map((o) => [o.permitId, o.kind, o.period, o.dueDate]), [
    [permit.id, 'surveyor_report', '2026-10', '2026-11-16'],
    [permit.id, 'surveyor_report', '2026-11', '2026-12-15'],
    [permit.id, 'surveyor_report', '2026-12', '2027-01-15'],
  ])
  const theirs = (await api(app, holder, 'GET', `/v1/obligations?permitId=${permit.id}`)).json().items as { kind: string }[]
  t.ok(theirs.length === 3 && theirs.every((o) => o.kind === 'business_licence'), 'the holder owes its realisation reports, not the surveyor\'s')
})

t.test('a verification pushed for the permit meets the month it was done in', async (t) => {
  const pushed = await api(app, surveyor, 'POST', '/v1/surveyor-reports', {
    permitId: permit.id,
    shipmentReference: 'SHP-OCT-1',
    lsNumber: 'LS-SCI/2026/000101',
    inspectedAt: '2026-10-20T03:00:00.000Z',
    portOfLoading: 'CNSHA',
    result: 'compliant',
    lines: [{ hsCode: '72085100', quantity: 100, unit: 'TNE' }],
  })
  t.equal(pushed.statusCode, 201, pushed.body)
  const october = await db.selectFrom('obligations').selectAll().where('organisation_id', '=', surveyorOrg.orgId).where('period', '=', '2026-10').executeTakeFirstOrThrow()
  t.match(october, { status: 'submitted', report_id: pushed.json().id })
  const november = await db.selectFrom('obligations').selectAll().where('organisation_id', '=', surveyorOrg.orgId).where('period', '=', '2026-11').executeTakeFirstOrThrow()
  t.equal(november.status, 'due')
})

t.test('a month without a report climbs the surveyor ladder, step by step', async (t) => {
  const november = await db.selectFrom('obligations').selectAll().where('organisation_id', '=', surveyorOrg.orgId).where('period', '=', '2026-11').executeTakeFirstOrThrow()
  const ladder = await db.selectFrom('sanction_ladder').selectAll().where('kind', '=', 'surveyor_report').orderBy('step').execute()
  t.same(ladder.map((step) => step.code), ['electronic_warning', 'verification_suspension_recommended', 'surveyor_revocation', 'application_bar'])
  for (const step of ladder) {
    const start = november.due_at.getTime() + (step.days_overdue - 1) * DAY
    await evaluateCompliance({ db, jobs: app.jobs }, new Date(start), 3)
    const before = await db.selectFrom('sanctions').select('step').where('obligation_id', '=', november.id).where('step', '=', step.step).execute()
    t.same(before, [], `step ${step.step} not before day ${step.days_overdue}`)
    await evaluateCompliance({ db, jobs: app.jobs }, new Date(start + 60_000), 3)
    const after = await db.selectFrom('sanctions').select(['code', 'organisation_id']).where('obligation_id', '=', november.id).where('step', '=', step.step).execute()
    t.same(after, [{ code: step.code, organisation_id: surveyorOrg.orgId }], `step ${step.step} (${step.code}) applied to the surveyor`)
  }
  const october = await db.selectFrom('obligations').select('id').where('organisation_id', '=', surveyorOrg.orgId).where('period', '=', '2026-10').executeTakeFirstOrThrow()
  t.same(await db.selectFrom('sanctions').select('id').where('obligation_id', '=', october.id).execute(), [], 'the month reported is never sanctioned')
})

t.test('a month without verifications is reported nil by the surveyor; others report nil with an empty report', async (t) => {
  const december = await db.selectFrom('obligations').selectAll().where('organisation_id', '=', surveyorOrg.orgId).where('period', '=', '2026-12').executeTakeFirstOrThrow()
  const nil = await api(app, surveyor, 'POST', `/v1/obligations/${december.id}/nil-report`)
  t.equal(nil.statusCode, 200)
  t.match(nil.json(), { id: december.id, kind: 'surveyor_report', status: 'submitted' })
  t.equal((await api(app, surveyor, 'POST', `/v1/obligations/${december.id}/nil-report`)).statusCode, 409, 'once')
  const holderOwn = await db.selectFrom('obligations').select('id').where('organisation_id', '=', owner.orgId).where('permit_id', '=', permit.id).executeTakeFirstOrThrow()
  t.equal((await api(app, surveyor, 'POST', `/v1/obligations/${holderOwn.id}/nil-report`)).statusCode, 404, 'not the surveyor\'s to meet')
  const holderWriter = minter.forUser(owner.superAdmin.userId, { orgId: owner.orgId, scope: 'openid reports:write' })
  const wrongKind = await api(app, holderWriter, 'POST', `/v1/obligations/${holderOwn.id}/nil-report`)
  t.equal(wrongKind.statusCode, 409)
  t.match(wrongKind.json().detail, /empty realisation report/)
})
