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

export function listOrgUsers(
  db: Db,
  filter: { organisationId: string; level?: UserLevel; status?: UserStatus; groupId?: string; cursor?: Cursor; limit: number },
) {
  let query = db
    .selectFrom('users')
    .selectAll()
    .select(keysetPosition('created_at').as('position_at'))
    .where('organisation_id', '=', filter.organisationId)
  if (filter.level) query = query.where('level', '=', filter.level)
  if (filter.status) query = query.where('status', '=', filter.status)
  if (filter.groupId) query = query.where('group_id', '=', filter.groupId)
  if (filter.cursor) query = query.where(afterCursor('created_at', 'id', filter.cursor))
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute()
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
