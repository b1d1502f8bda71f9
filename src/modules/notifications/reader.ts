/**
 * Who reads notifications, and which: a person of an organisation sees its notifications whose
 * `menu_code` they hold View on (their effective rights, src/modules/orgs/authorize.ts: a super
 * admin every menu the organisation has), and those without a menu. Machine clients are refused
 * with a pointer to webhooks, which carry the same events to systems. Rights are read per
 * request (a stream re-reads them while it runs, stream.ts), so a change takes effect at once.
 */
import type { ExpressionBuilder, Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../errors/app-error.ts'
import type { Language } from '../../errors/language.ts'
import type { Principal } from '../../plugins/auth.ts'
import { forbidden, inactiveCaller, userRights } from '../orgs/authorize.ts'

export interface NotificationReader {
  userId: string
  organisationId: string
  /** Menus the user holds View on. */
  menus: string[]
  /** The user's stored language (account_contacts.language; 'id' without a row). */
  language: Language
}

export function machineClientRefused(): AppError {
  return new AppError('FORBIDDEN', {
    detail: {
      en: 'Notifications are for people. A machine client receives the same events by webhook: see /v1/orgs/{orgId}/webhooks.',
      id: 'Notifikasi ditujukan bagi pengguna. Klien mesin menerima peristiwa yang sama melalui webhook: lihat /v1/orgs/{orgId}/webhooks.',
    },
  })
}

export async function notificationReader(db: Kysely<Database>, principal: Principal): Promise<NotificationReader> {
  if (principal.kind === 'client') throw machineClientRefused()
  const user = await db
    .selectFrom('users as u')
    .leftJoin('account_contacts as c', 'c.user_id', 'u.id')
    .select(['u.id', 'u.organisation_id', 'u.level', 'u.status', 'u.group_id', 'c.language'])
    .where('u.id', '=', principal.subject)
    .executeTakeFirst()
  if (!user || user.status !== 'active') throw inactiveCaller()
  if (!user.organisation_id) throw forbidden('Only members of an organisation receive notifications.', 'Hanya anggota organisasi yang menerima notifikasi.')
  const rights = await userRights(db, user)
  const menus = [...rights].filter(([, actions]) => actions.has('view')).map(([menu]) => menu)
  return { userId: user.id, organisationId: user.organisation_id, menus, language: user.language ?? 'id' }
}

/** The notifications of the reader's organisation they may see (`n` is the notifications alias). */
export function visibleTo(reader: Pick<NotificationReader, 'organisationId' | 'menus'>) {
  return (eb: ExpressionBuilder<Database & { n: Database['notifications'] }, 'n'>) =>
    eb.and([
      eb('n.organisation_id', '=', reader.organisationId),
      reader.menus.length === 0 ? eb('n.menu_code', 'is', null) : eb.or([eb('n.menu_code', 'is', null), eb('n.menu_code', 'in', reader.menus)]),
    ])
}
