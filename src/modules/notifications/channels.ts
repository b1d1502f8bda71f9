/**
 * Email and SMS by each user's choice, in the fan-out's transaction (fanout.ts): a notification
 * and its messages commit together or not at all, and a repeated pass (whose notifications
 * already exist, so none are returned as inserted) sends nothing twice.
 *
 * Recipients: the active users of the notification's organisation who can read it (View on its
 * menu by their effective rights, as src/modules/orgs/authorize.ts computes them: a super admin
 * every menu the organisation has; no menu: every member) and chose the channel
 * (account_contacts.notification_channels). Mail goes only to a verified address, SMS only to a
 * verified mobile: a mistyped address must not receive an organisation's news. One query finds
 * the candidates of a whole batch, with the menus each may view.
 */
import { sql, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { LocalisedText } from '../../db/tables/notifications.ts'
import type { Language } from '../../errors/language.ts'
import { emailIsVerified } from '../../identity/email-verified.ts'
import type { JobEngine } from '../../jobs/types.ts'
import { queueMail } from '../../mail/outbox.ts'
import { menuDefinition } from '../orgs/menu-catalogue.ts'

export const NOTIFICATION_MAIL_TEMPLATE = 'notification'
export const NOTIFICATION_SMS_TEMPLATE = 'notification'

export interface WrittenNotification {
  organisation_id: string
  menu_code: string | null
  type: string
  title: LocalisedText
  body: LocalisedText
  occurred_at: Date
}

interface Candidate {
  organisation_id: string
  email: string
  verified_email: string | null
  mobile: string | null
  mobile_verified_at: Date | null
  channels: string[]
  language: Language
  menus: string[]
}

/** When an event happened, as people in Indonesia read it (WIB). */
function jakartaTime(at: Date, language: Language): string {
  const text = new Intl.DateTimeFormat(language === 'id' ? 'id-ID' : 'en-GB', { timeZone: 'Asia/Jakarta', dateStyle: 'medium', timeStyle: 'short' }).format(at)
  return `${text} WIB`
}

export function notificationMail(notification: WrittenNotification, language: Language): { subject: string; text: string } {
  const when = jakartaTime(notification.occurred_at, language)
  const footer =
    language === 'id'
      ? 'Anda menerima email ini karena memilih notifikasi email di akun INSW Anda; pilihan dapat diubah di profil akun.'
      : 'You receive this email because you chose email notifications in your INSW account; change it in your account profile.'
  return { subject: `INSW: ${notification.title[language]}`, text: `${notification.body[language]}\n\n${language === 'id' ? 'Waktu' : 'Time'}: ${when}\n\n${footer}\n` }
}

/** One short line: an SMS is read on a phone, the details are in the feed. */
export function notificationSms(notification: WrittenNotification, language: Language): string {
  return `INSW: ${notification.title[language]}. ${language === 'id' ? 'Detail di aplikasi INSW.' : 'Details in the INSW app.'}`
}

async function candidates(trx: Transaction<Database>, organisationIds: string[]): Promise<Candidate[]> {
  const rows = await trx
    .selectFrom('users as u')
    .innerJoin('account_contacts as c', 'c.user_id', 'u.id')
    .select([
      'u.organisation_id',
      'u.email',
      'c.verified_email',
      'c.mobile',
      'c.mobile_verified_at',
      'c.notification_channels as channels',
      'c.language',
      // The menus the user holds View on: userRights(), in SQL, for every user of the batch at once.
      sql<string[]>`array(
        select om.menu_code from organisation_menus om
        where om.organisation_id = u.organisation_id
          and (u.level = 'super_admin' or exists (
            select 1 from group_menu_rights r join groups g on g.id = r.group_id
            where g.id = u.group_id and g.organisation_id = u.organisation_id and g.status = 'active'
              and r.menu_code = om.menu_code and r.enabled and r.can_view)))`.as('menus'),
    ])
    .where('u.organisation_id', 'in', organisationIds)
    .where('u.status', '=', 'active')
    .where(sql<boolean>`c.notification_channels && array['email', 'sms']::text[]`)
    .execute()
  return rows.map((row) => ({ ...row, organisation_id: row.organisation_id!, menus: row.menus.filter((menu) => menuDefinition(menu)?.actions.includes('view')) }))
}

/** Queues the mails and SMS of the notifications just written, in the fan-out's transaction. */
export async function queueNotificationMessages(trx: Transaction<Database>, jobs: Pick<JobEngine, 'send'>, written: WrittenNotification[]): Promise<{ mails: number; sms: number }> {
  if (written.length === 0) return { mails: 0, sms: 0 }
  const people = await candidates(trx, [...new Set(written.map((notification) => notification.organisation_id))])
  if (people.length === 0) return { mails: 0, sms: 0 }
  let mails = 0
  const sms: { recipient: string; body_text: string; template: string }[] = []
  for (const notification of written) {
    const readers = people.filter((person) => person.organisation_id === notification.organisation_id && (notification.menu_code === null || person.menus.includes(notification.menu_code)))
    for (const person of readers) {
      if (person.channels.includes('email') && emailIsVerified(person.email, person.verified_email)) {
        const mail = notificationMail(notification, person.language)
        await queueMail(trx, { to: person.email, subject: mail.subject, text: mail.text, template: NOTIFICATION_MAIL_TEMPLATE }, jobs)
        mails += 1
      }
      if (person.channels.includes('sms') && person.mobile && person.mobile_verified_at) {
        sms.push({ recipient: person.mobile, body_text: notificationSms(notification, person.language), template: NOTIFICATION_SMS_TEMPLATE })
      }
    }
  }
  if (sms.length > 0) await trx.insertInto('sms_outbox').values(sms).execute()
  return { mails, sms: sms.length }
}
