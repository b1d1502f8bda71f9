/** SQL for an organisation's users. Every query filters by organisation. */
import { sql, type Kysely, type Transaction, type Updateable } from 'kysely'
import type { Database, UserLevel, UserStatus, UsersTable } from '../../db/schema.ts'
import type { Cursor } from '../../http/pagination.ts'
import { afterCursor, keysetPosition } from '../../db/keyset.ts'

type Db = Kysely<Database> | Transaction<Database>

export function findOrgUser(db: Db, organisationId: string, userId: string) {
  return db.selectFrom('users').selectAll().where('organisation_id', '=', organisationId).where('id', '=', userId).executeTakeFirst()
}

export type OrgUserRow = NonNullable<Awaited<ReturnType<typeof findOrgUser>>>

/** The columns an organisation's user list shows (toOrgUser): no password hash, no sign-in counters. */
const LISTED_COLUMNS = [
  'users.id',
  'users.organisation_id',
  'users.username',
  'users.full_name',
  'users.position',
  'users.nik',
  'users.employee_number',
  'users.sik_number',
  'users.phone',
  'users.mobile',
  'users.fax',
  'users.email',
  'users.pending_email',
  'users.address',
  'users.postal_code',
  'users.shipping_line_code',
  'users.level',
  'users.group_id',
  'users.status',
  'users.created_by',
  'users.created_at',
  'users.updated_at',
] as const

/**
 * A page of users, newest first, each with the address their account verified: one query (a
 * join), not a second one for the verification state; served in order by
 * users_organisation_created_idx (migration 0010).
 */
export function listOrgUsers(
  db: Db,
  filter: { organisationId: string; level?: UserLevel; status?: UserStatus; groupId?: string; cursor?: Cursor; limit: number },
) {
  let query = db
    .selectFrom('users')
    .leftJoin('account_contacts', 'account_contacts.user_id', 'users.id')
    .select(LISTED_COLUMNS)
    .select(['account_contacts.verified_email', keysetPosition('users.created_at').as('position_at')])
    .where('users.organisation_id', '=', filter.organisationId)
  if (filter.level) query = query.where('users.level', '=', filter.level)
  if (filter.status) query = query.where('users.status', '=', filter.status)
  if (filter.groupId) query = query.where('users.group_id', '=', filter.groupId)
  if (filter.cursor) query = query.where(afterCursor('users.created_at', 'users.id', filter.cursor))
  return query.orderBy('users.created_at', 'desc').orderBy('users.id', 'desc').limit(filter.limit + 1).execute()
}

export async function usernameTaken(db: Db, username: string): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where(sql`lower(username)`, '=', username.toLowerCase()).executeTakeFirst()) !== undefined
}

export function updateOrgUser(db: Db, userId: string, patch: Updateable<UsersTable>) {
  return db
    .updateTable('users')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', userId)
    .returningAll()
    .executeTakeFirstOrThrow()
}
