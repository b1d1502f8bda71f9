/**
 * Notifications for feed and stream tests: a permit of an organisation moved to a status, then the
 * fan-out run directly (the app's own pump may take the event first: either way one notification, waited for).
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.ts'
import type { PermitStatus } from '../../src/db/tables/permits.ts'
import { fanOutPermitEvents } from '../../src/modules/notifications/fanout.ts'
import { moveStatus } from '../../src/modules/permits/journey.ts'
import { insertPermit, recordingJobs } from '../helpers/permits.ts'

export async function permitNews(db: Kysely<Database>, nib: string, status: PermitStatus = 'forwarded', menu = 'SSM_PERIZINAN') {
  const permit = await insertPermit(db, { nib })
  await db.transaction().execute(async (trx) => {
    await moveStatus(trx, permit.id, status, { type: `permit.${status}`, actor: { type: 'system' }, hop: 'inatrade', outcome: 'succeeded' }, status === 'rejected' ? { decision_reason: 'HS code not allowed' } : {})
  })
  // The app's pump may hold the event in its own pass (skip locked): then wait for its commit.
  for (let attempt = 0; attempt < 100; attempt += 1) {
    await fanOutPermitEvents({ db, jobs: recordingJobs(), menuOfPermitType: () => menu })
    const notification = await db.selectFrom('notifications').select(['id']).where('subject_id', '=', permit.id).executeTakeFirst()
    if (notification) return { permit, notificationId: String(notification.id) }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`no notification for permit ${permit.id}`)
}

/** Contact settings as the account completion step stores them (email and mobile verified). */
export async function setContacts(db: Kysely<Database>, userId: string, contacts: { channels: string[]; language?: 'id' | 'en'; mobile?: string | null; emailVerified?: boolean }) {
  const user = await db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirstOrThrow()
  const values = {
    notification_channels: contacts.channels,
    language: contacts.language ?? 'id',
    mobile: contacts.mobile === undefined ? '6281234567890' : contacts.mobile,
    mobile_verified_at: contacts.mobile === null ? null : new Date(),
    verified_email: contacts.emailVerified === false ? null : user.email,
    email_verified_at: contacts.emailVerified === false ? null : new Date(),
  }
  await db.insertInto('account_contacts').values({ user_id: userId, ...values }).onConflict((oc) => oc.column('user_id').doUpdateSet(values)).execute()
}
