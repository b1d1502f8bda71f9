/**
 * The sandbox story of issue 12: a permit is issued, its obligation shows; business time moves
 * past the deadline and the electronic warning arrives (feed and signed webhook); the report
 * stops the escalation; a blocking step refuses new applications with a problem saying how to
 * clear it; an operator lifts it with a reason and the organisation can apply again. Also every
 * step of every ladder on its timetable, reminders before deadlines, expiry of a sanction with a
 * term, and the evaluation applying each step once when two runs race.
 */
import t from 'tap'
import { evaluateCompliance } from '../../src/modules/compliance/evaluation.ts'
import { issuePermit, operatorToken, setupComplianceTest, wib } from '../helpers/compliance.ts'
import { api, createOrg } from '../helpers/orgs.ts'
import { sampleSubmission } from '../helpers/permit-submission.ts'
import { startReceiver, verify } from '../helpers/webhook-receiver.ts'

const { app, db, minter } = await setupComplianceTest(t)
const DAY = 86_400_000

const operator = await operatorToken(app, db, minter)

async function organisation(nib: string) {
  const org = await createOrg(app, nib)
  const token = minter.forUser(org.superAdmin.userId, { orgId: org.orgId, scope: 'openid reports:read reports:write permits:read permits:write webhooks:read webhooks:write' })
  return { ...org, token }
}

async function clockTo(local: string) {
  const response = await app.inject({ method: 'POST', url: '/v1/sandbox/clock', payload: { action: 'set', to: `${local}+07:00` } })
  if (response.statusCode !== 200) throw new Error(response.body)
  return response.json()
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await probe()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

t.teardown(async () => {
  await app.businessClock.setOffset(0)
})

t.test('issue, fall due, warning by feed and webhook, report stops it, block, lift, apply again', async (t) => {
  const org = await organisation('8120000000001')
  const receiver = await startReceiver(t)
  const hook = await api(app, org.token, 'POST', `/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver.url}/insw`, eventTypes: ['obligation.due_soon', 'sanction.applied', 'sanction.ended'] })
  t.equal(hook.statusCode, 201, hook.body)
  const secret = hook.json().secret as string

  await clockTo('2026-09-01T09:00:00')
  const permit = await issuePermit(app, db, { nib: '8120000000001', issuedAt: wib('2026-09-10T10:00:00'), validUntil: wib('2027-09-09T10:00:00') })
  const obligations = (await api(app, org.token, 'GET', `/v1/obligations?permitId=${permit.id}&limit=2`)).json().items
  t.match(obligations[0], { period: '2026-09', dueDate: '2026-10-15', status: 'due' })

  // Three days before: the reminder.
  const reminded = await clockTo('2026-10-13T08:00:00')
  t.equal(reminded.evaluation.reminders, 1)
  // The day after the deadline: step 1, the electronic warning.
  const warned = await clockTo('2026-10-16T08:00:00')
  t.equal(warned.evaluation.sanctions, 1)
  const compliance = (await api(app, org.token, 'GET', '/v1/compliance')).json()
  t.match(compliance, { standing: 'warned', submissionsBlocked: false, overdueObligations: 1, activeSanctions: [{ code: 'electronic_warning', step: 1, kind: 'business_licence', appliedBy: 'system' }] })

  const feed = (await api(app, org.token, 'GET', '/v1/notifications')).json().items as { type: string; subject: { type: string } }[]
  t.same(feed.filter((n) => n.subject.type === 'compliance').map((n) => n.type), ['sanction.applied', 'obligation.due_soon'], 'newest first in the feed')
  const messages = await waitFor('two webhook messages', () => (receiver.requests.length >= 2 ? receiver.requests : undefined))
  const bodies = messages.map((request) => verify(request, secret) as { type: string; data: { sequence: number; code?: string } })
  t.same(bodies.map((body) => [body.type, body.data.sequence]), [['obligation.due_soon', 1], ['sanction.applied', 2]], 'signed, in sequence')
  t.equal(bodies[1]!.data.code, 'electronic_warning')

  // The report, late, meets the obligation: no further step even long after.
  const report = await api(app, org.token, 'POST', `/v1/permits/${permit.id}/realisation-reports`, { period: '2026-09', lines: [] })
  t.equal(report.statusCode, 202)
  t.equal(report.json().late, true)
  const later = await clockTo('2026-12-20T08:00:00')
  const steps = await db.selectFrom('sanctions').select(['code']).where('obligation_id', '=', obligations[0].id).execute()
  t.same(steps.map((s) => s.code), ['electronic_warning'], 'the report stopped the escalation of its obligation')
  t.ok(later.evaluation.sanctions >= 1, 'later months, still unreported, escalate on their own')

  // October's report (due 16 November) was never sent: 30 days on it is frozen, and applications are refused.
  const blocked = (await api(app, org.token, 'GET', '/v1/compliance')).json()
  t.equal(blocked.standing, 'blocked')
  const freeze = blocked.activeSanctions.find((s: { code: string }) => s.code === 'licence_freeze')
  t.ok(freeze, 'licence_freeze is active')
  const refused = await api(app, org.token, 'POST', '/v1/permits', sampleSubmission('after-freeze-1'))
  t.equal(refused.statusCode, 403)
  t.equal(refused.json().code, 'SUBMISSIONS_BLOCKED')
  t.match(refused.json().detail, /licence_freeze.*GET \/v1\/obligations\?status=overdue.*contact centre/)

  // The operator lifts every blocking sanction with a reason; the organisation applies again.
  for (const sanction of blocked.activeSanctions.filter((s: { blocksSubmissions: boolean }) => s.blocksSubmissions)) {
    const lifted = await api(app, operator, 'POST', `/v1/operator/compliance/sanctions/${sanction.id}/lift`, { reason: 'Reports received; ticket 2026-1187' })
    t.equal(lifted.statusCode, 200)
    t.match(lifted.json(), { status: 'lifted', endReason: 'Reports received; ticket 2026-1187' })
  }
  const again = await api(app, org.token, 'POST', `/v1/operator/compliance/sanctions/${freeze.id}/lift`, { reason: 'twice' })
  t.equal(again.statusCode, 403, 'organisation users are not operators')
  const twice = await api(app, operator, 'POST', `/v1/operator/compliance/sanctions/${freeze.id}/lift`, { reason: 'twice' })
  t.equal(twice.statusCode, 409)
  const accepted = await api(app, org.token, 'POST', '/v1/permits', sampleSubmission('after-lift-1'))
  t.equal(accepted.statusCode, 202, accepted.body)
  const audit = await db.selectFrom('audit_events').select('action').where('target_id', '=', freeze.id).execute()
  t.same(audit.map((row) => row.action), ['sanction.lifted'])
  const ended = await waitFor('sanction.ended message', () => receiver.requests.find((request) => request.body.includes('"sanction.ended"')))
  t.match(verify(ended, secret), { type: 'sanction.ended', data: { status: 'lifted' } })
})

t.test('every ladder climbs step by step on its timetable, each step once', async (t) => {
  const org = await organisation('8120000000011')
  const ladders = await db.selectFrom('sanction_ladder').selectAll().orderBy('kind').orderBy('step').execute()
  const types = { business_licence: 'PI-BAJA', surat_keterangan: 'SK-BERKALA', importer_id: 'PI-GULA' } as const
  for (const [kind, permitType] of Object.entries(types)) {
    await app.businessClock.setOffset(wib('2026-01-02T09:00:00').getTime() - Date.now())
    const permit = await issuePermit(app, db, { nib: '8120000000011', permitType, issuedAt: wib('2026-01-05T10:00:00'), validUntil: wib('2026-01-20T10:00:00'), lines: permitType === 'PI-GULA' ? [{ hsCode: '17011400', description: 'Raw cane sugar', quantity: 10, unit: 'TNE', value: 5000, currency: 'USD', originCountry: 'TH' }] : undefined })
    const obligation = await db.selectFrom('obligations').selectAll().where('permit_id', '=', permit.id).executeTakeFirstOrThrow()
    const steps = ladders.filter((row) => row.kind === kind)
    t.ok(steps.length >= 2, `${kind} has a ladder`)
    for (const step of steps) {
      // Just before the step's day: not yet; on it: applied, once.
      // Whole days overdue count from the deadline (the end of the due day): day n starts n-1 days after it.
      const dayOf = obligation.due_at.getTime() + (step.days_overdue - 1) * DAY
      await evaluateCompliance({ db, jobs: app.jobs }, new Date(dayOf), 3)
      const before = await db.selectFrom('sanctions').select('step').where('obligation_id', '=', obligation.id).execute()
      t.notOk(before.some((row) => row.step === step.step), `${kind} step ${step.step} not before ${step.days_overdue} day(s)`)
      await evaluateCompliance({ db, jobs: app.jobs }, new Date(dayOf + 60_000), 3)
      await evaluateCompliance({ db, jobs: app.jobs }, new Date(dayOf + 120_000), 3)
      const after = await db.selectFrom('sanctions').select(['step', 'code', 'blocks_submissions']).where('obligation_id', '=', obligation.id).where('step', '=', step.step).execute()
      t.same(after.map((row) => [row.code, row.blocks_submissions]), [[step.code, step.blocks_submissions]], `${kind} step ${step.step} (${step.code}) applied once`)
    }
  }
  const notices = await db.selectFrom('notifications').select('type').where('organisation_id', '=', org.orgId).where('type', '=', 'sanction.applied').execute()
  const expected = ladders.filter((row) => row.kind in types).length
  t.equal(notices.length, expected, 'each step told once')
})

t.test('a sanction with a term expires and is told; two evaluations racing apply each step once', async (t) => {
  const org = await organisation('8120000000010')
  await app.businessClock.setOffset(wib('2026-03-01T09:00:00').getTime() - Date.now())
  const permit = await issuePermit(app, db, { nib: '8120000000010', permitType: 'SK-BERKALA', issuedAt: wib('2026-03-02T10:00:00'), validUntil: wib('2026-03-25T10:00:00') })
  const obligation = await db.selectFrom('obligations').selectAll().where('permit_id', '=', permit.id).executeTakeFirstOrThrow()
  const at = new Date(obligation.due_at.getTime() + 31 * DAY)
  const results = await Promise.all([evaluateCompliance({ db, jobs: app.jobs }, at, 3), evaluateCompliance({ db, jobs: app.jobs }, at, 3)])
  t.equal(results[0]!.sanctions + results[1]!.sanctions, 2, 'warning and certificate freeze, applied by one of the two')
  const freeze = await db.selectFrom('sanctions').selectAll().where('obligation_id', '=', obligation.id).where('code', '=', 'certificate_freeze').executeTakeFirstOrThrow()
  t.equal(freeze.expires_at!.getTime(), at.getTime() + 180 * DAY, 'no new certificates for 6 months')
  const expired = await evaluateCompliance({ db, jobs: app.jobs }, new Date(at.getTime() + 181 * DAY), 3)
  t.ok(expired.expired >= 1)
  const row = await db.selectFrom('sanctions').select('status').where('id', '=', freeze.id).executeTakeFirstOrThrow()
  t.equal(row.status, 'expired')
  const told = await db.selectFrom('notifications').select('type').where('organisation_id', '=', org.orgId).where('type', '=', 'sanction.ended').execute()
  t.equal(told.length, 1)
})

t.test('operators apply a profile-change freeze and waive obligations; the list shows who is blocked', async (t) => {
  const org = await organisation('8120000000002')
  const applied = await api(app, operator, 'POST', `/v1/operator/compliance/${org.orgId}/sanctions`, { kind: 'profile_change', step: 1, reason: 'Directors changed in OSS on 2026-11-20, not reported' })
  t.equal(applied.statusCode, 201)
  t.match(applied.json(), { kind: 'profile_change', code: 'licence_freeze', blocksSubmissions: true, appliedBy: 'operator' })
  const list = (await api(app, operator, 'GET', '/v1/operator/compliance?blocked=true')).json().items as { organisationId: string }[]
  t.ok(list.some((item) => item.organisationId === org.orgId))
  const unknownStep = await api(app, operator, 'POST', `/v1/operator/compliance/${org.orgId}/sanctions`, { kind: 'profile_change', step: 9, reason: 'no such step' })
  t.equal(unknownStep.statusCode, 422)
  t.equal(unknownStep.json().errors[0].reason, 'unknown_step')
  const waived = await api(app, operator, 'POST', `/v1/operator/compliance/sanctions/${applied.json().id}/waive`, { reason: 'The change was reported by letter' })
  t.match(waived.json(), { status: 'waived' })

  await app.businessClock.setOffset(wib('2026-05-01T09:00:00').getTime() - Date.now())
  const permit = await issuePermit(app, db, { nib: '8120000000002', issuedAt: wib('2026-05-04T10:00:00'), validUntil: wib('2026-05-30T10:00:00') })
  const obligation = await db.selectFrom('obligations').selectAll().where('permit_id', '=', permit.id).executeTakeFirstOrThrow()
  const waive = await api(app, operator, 'POST', `/v1/operator/compliance/obligations/${obligation.id}/waive`, { reason: 'Licence surrendered before use' })
  t.equal(waive.statusCode, 200)
  await evaluateCompliance({ db, jobs: app.jobs }, new Date(obligation.due_at.getTime() + 100 * DAY), 3)
  const sanctions = await db.selectFrom('sanctions').select('id').where('obligation_id', '=', obligation.id).execute()
  t.same(sanctions, [], 'a waived obligation is never escalated')
  const listed = (await api(app, org.token, 'GET', `/v1/obligations?status=waived`)).json().items
  t.match(listed, [{ id: obligation.id, status: 'waived', waivedReason: 'Licence surrendered before use' }])
})

t.test('the sandbox clock: advance, set, reset; bad input is a 422', async (t) => {
  await app.businessClock.setOffset(0)
  const advanced = (await app.inject({ method: 'POST', url: '/v1/sandbox/clock', payload: { action: 'advance', days: 2, hours: 3 } })).json()
  t.ok(Math.abs(advanced.offsetMs - (2 * 24 + 3) * 3_600_000) < 1000)
  const read = (await app.inject({ method: 'GET', url: '/v1/sandbox/clock' })).json()
  t.ok(Math.abs(Date.parse(read.businessTime) - Date.parse(read.realTime) - advanced.offsetMs) < 1000)
  const reset = (await app.inject({ method: 'POST', url: '/v1/sandbox/clock', payload: { action: 'reset' } })).json()
  t.equal(reset.offsetMs, 0)
  const bad = await app.inject({ method: 'POST', url: '/v1/sandbox/clock', payload: { action: 'set' } })
  t.equal(bad.statusCode, 422)
  t.equal(bad.json().errors[0].pointer, '/to')
})
