/**
 * The daily evaluation across instances: two gateways on one database declare one cron schedule
 * (00:05 Asia/Jakarta), the evaluation job runs on whichever worker takes it, and evaluations
 * started on both instances at once apply each ladder step once and tell it once.
 */
import t from 'tap'
import { QUEUES } from '../../src/jobs/queues.ts'
import { buildTestApp } from '../helpers/app.ts'
import { issuePermit, operatorToken, setupComplianceTest, wib } from '../helpers/compliance.ts'
import { api, createOrg } from '../helpers/orgs.ts'

const { context, app: first, db, minter } = await setupComplianceTest(t)
const second = await buildTestApp(t, context)
await second.ready()
const operator = await operatorToken(first, db, minter)
const org = await createOrg(first, '8120000000001')
t.teardown(() => first.businessClock.setOffset(0))

async function waitFor(what: string, probe: () => Promise<boolean>) {
  for (let i = 0; i < 150; i++) {
    if (await probe()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

t.test('one schedule across instances, in Jakarta time', async (t) => {
  const schedules = await first.jobEngine.boss.getSchedules(QUEUES.complianceEvaluate.name)
  t.equal(schedules.length, 1)
  t.match(schedules[0], { cron: '5 0 * * *', timezone: 'Asia/Jakarta' }, 'COMPLIANCE_EVALUATION_CRON\'s default: 00:05')
})

t.test('a late report is warned once, whichever instance evaluates, however many run at once', async (t) => {
  await first.businessClock.setOffset(wib('2026-08-01T09:00:00').getTime() - Date.now())
  const permit = await issuePermit(first, db, { nib: '8120000000001', issuedAt: wib('2026-08-03T10:00:00'), validUntil: wib('2026-08-28T10:00:00') })
  const obligation = await db.selectFrom('obligations').selectAll().where('permit_id', '=', permit.id).executeTakeFirstOrThrow()
  // Two days late, on both instances' business clock (the second reads it from the database).
  await first.businessClock.setOffset(obligation.due_at.getTime() + 2 * 86_400_000 - Date.now())
  await second.businessClock.refresh()
  const warnings = () => db.selectFrom('sanctions').select('id').where('obligation_id', '=', obligation.id).execute()

  // The nightly job, as the cron sends it: taken by one worker of the two instances.
  await first.jobs.send(db, QUEUES.complianceEvaluate.name, {})
  await waitFor('the evaluation job', async () => (await warnings()).length > 0)
  // And the operators of both instances asking at the same moment.
  const runs = await Promise.all([api(first, operator, 'POST', '/v1/operator/compliance/evaluations'), api(second, operator, 'POST', '/v1/operator/compliance/evaluations')])
  t.same(runs.map((run) => run.statusCode), [200, 200])
  t.same(runs.map((run) => run.json().sanctions), [0, 0], 'nothing left to apply')
  t.equal((await warnings()).length, 1, 'the electronic warning, once')
  const told = await db.selectFrom('notifications').select('id').where('organisation_id', '=', org.orgId).where('type', '=', 'sanction.applied').execute()
  t.equal(told.length, 1, 'told once')
})
