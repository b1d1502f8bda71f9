/**
 * The fan-out: permit status changes become one notification per organisation and one delivery
 * per subscribed endpoint (with its job, per endpoint and permit); other steps are marked handled
 * and left alone; a second pass repeats nothing.
 */
import t from 'tap'
import { fanOutPermitEvents } from '../../src/modules/notifications/fanout.ts'
import { recordEvent, moveStatus } from '../../src/modules/permits/journey.ts'
import { openTestDatabase } from '../helpers/database.ts'
import { insertPermit, recordingJobs } from '../helpers/permits.ts'

const database = await openTestDatabase()
t.teardown(() => database.close())
const db = database.handle.db

async function subscribe(organisationId: string, eventTypes: string[], enabled = true) {
  const row = await db
    .insertInto('webhooks')
    .values({ organisation_id: organisationId, url: 'http://127.0.0.1:9/hook', event_types: eventTypes, enabled, secret_ciphertext: 'unused-here' })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

t.test('status changes are news; attempts are not; each is handled once', async (t) => {
  const jobs = recordingJobs()
  const deps = { db, jobs, menuOfPermitType: () => 'SSM_PERIZINAN' }
  await fanOutPermitEvents(deps) // whatever earlier tests left
  const permit = await insertPermit(db)
  const other = await insertPermit(db, { nib: '8120000000002' })
  const issuedHook = await subscribe(permit.organisation_id, ['permit.forwarded', 'permit.rejected'])
  await subscribe(permit.organisation_id, ['permit.forwarded'], false)
  await db.transaction().execute(async (trx) => {
    await recordEvent(trx, permit.id, { type: 'permit.forwarding_attempted', actor: { type: 'system' }, hop: 'inatrade', outcome: 'retrying' })
    await moveStatus(trx, permit.id, 'forwarded', { type: 'permit.forwarded', actor: { type: 'system' }, hop: 'inatrade', outcome: 'succeeded' })
    await moveStatus(trx, other.id, 'rejected', { type: 'permit.status_changed', actor: { type: 'upstream', id: 'inatrade' }, hop: 'inatrade', outcome: 'succeeded' }, { decision_reason: 'HS code not allowed' })
  })

  const first = await fanOutPermitEvents(deps)
  t.equal(first.events, 3, 'every waiting event is handled')
  t.same([...first.organisations].sort(), [permit.organisation_id, other.organisation_id].sort())
  const notifications = await db.selectFrom('notifications').selectAll().where('subject_id', 'in', [permit.id, other.id]).orderBy('id').execute()
  t.same(notifications.map((n) => [n.subject_id, n.type, n.menu_code]), [
    [permit.id, 'permit.forwarded', 'SSM_PERIZINAN'],
    [other.id, 'permit.rejected', 'SSM_PERIZINAN'],
  ])
  t.match(notifications[1]!.body, { en: /HS code not allowed/ }, 'the rejection reason is in the text')
  t.match(notifications[0]!.title, { en: permit.reference_number, id: permit.reference_number })

  const deliveries = await db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', issuedHook).execute()
  t.equal(deliveries.length, 1, 'only the subscribed, enabled endpoint of the organisation, only the subscribed type')
  t.match(deliveries[0]!.payload, { type: 'permit.forwarded', data: { permitId: permit.id, status: 'forwarded', previousStatus: 'submitted', sequence: 2 } })
  t.same(jobs.sent.map((job) => [job.queue, job.data, job.options?.singletonKey]), [['webhook.deliver', { webhookId: issuedHook, subjectId: permit.id }, `webhook:${issuedHook}:${permit.id}`]])

  const again = await fanOutPermitEvents(deps)
  t.equal(again.events, 0, 'nothing is waiting any more')
  t.equal((await db.selectFrom('notifications').select('id').where('subject_id', 'in', [permit.id, other.id]).execute()).length, 2)
})
