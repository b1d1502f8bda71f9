/** SQL for groups and their per-menu rights. Every query filters by organisation. */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { GroupLevel, GroupStatus } from '../../db/tables/rbac.ts'
import type { Cursor } from '../../http/pagination.ts'
import { ACTIONS } from '../orgs/menu-catalogue.ts'
import type { GroupMenuRights } from './schemas.ts'
import { afterCursor, keysetPosition } from '../../db/keyset.ts'

type Db = Kysely<Database> | Transaction<Database>

export function findGroup(db: Db, organisationId: string, groupId: string) {
  return db.selectFrom('groups').selectAll().where('organisation_id', '=', organisationId).where('id', '=', groupId).executeTakeFirst()
}

export type GroupRow = NonNullable<Awaited<ReturnType<typeof findGroup>>>

export function listGroups(db: Db, filter: { organisationId: string; level?: GroupLevel; status?: GroupStatus; cursor?: Cursor; limit: number }) {
  let query = db
    .selectFrom('groups')
    .selectAll()
    .select(keysetPosition('created_at').as('position_at'))
    .where('organisation_id', '=', filter.organisationId)
  if (filter.level) query = query.where('level', '=', filter.level)
  if (filter.status) query = query.where('status', '=', filter.status)
  if (filter.cursor) query = query.where(afterCursor('created_at', 'id', filter.cursor))
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute()
}

/** Rights of the given groups, per group, in the API's shape. */
export async function rightsOfGroups(db: Db, groupIds: string[]): Promise<Map<string, GroupMenuRights[]>> {
  const result = new Map<string, GroupMenuRights[]>(groupIds.map((id) => [id, []]))
  if (!groupIds.length) return result
  const rows = await db.selectFrom('group_menu_rights').selectAll().where('group_id', 'in', groupIds).orderBy('menu_code').execute()
  for (const row of rows) {
    result.get(row.group_id)?.push({ menu: row.menu_code, enabled: row.enabled, actions: ACTIONS.filter((action) => row[`can_${action}`]) })
  }
  return result
}

export function insertGroup(db: Db, group: { organisationId: string; level: GroupLevel; name: string; status: GroupStatus; createdBy: string }) {
  return db
    .insertInto('groups')
    .values({ organisation_id: group.organisationId, level: group.level, name: group.name.trim(), status: group.status, created_by: group.createdBy })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function replaceGroupRights(db: Db, groupId: string, rights: GroupMenuRights[]): Promise<void> {
  await db.deleteFrom('group_menu_rights').where('group_id', '=', groupId).execute()
  if (!rights.length) return
  await db
    .insertInto('group_menu_rights')
    .values(
      rights.map((entry) => ({
        group_id: groupId,
        menu_code: entry.menu,
        enabled: entry.enabled,
        can_create: entry.actions.includes('create'),
        can_view: entry.actions.includes('view'),
        can_edit: entry.actions.includes('edit'),
        can_delete: entry.actions.includes('delete'),
        can_approve: entry.actions.includes('approve'),
        can_reject: entry.actions.includes('reject'),
      })),
    )
    .execute()
}

export function updateGroup(db: Db, groupId: string, patch: { name?: string; status?: GroupStatus }) {
  return db
    .updateTable('groups')
    .set({ ...(patch.name !== undefined ? { name: patch.name.trim() } : {}), ...(patch.status ? { status: patch.status } : {}), updated_at: new Date() })
    .where('id', '=', groupId)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function deleteGroup(db: Db, groupId: string): Promise<void> {
  await db.deleteFrom('groups').where('id', '=', groupId).execute()
}

export async function countGroupMembers(db: Db, groupId: string): Promise<number> {
  const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).where('group_id', '=', groupId).executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function groupNameTaken(db: Db, organisationId: string, name: string, exceptId?: string): Promise<boolean> {
  let query = db.selectFrom('groups').select('id').where('organisation_id', '=', organisationId).where(sql`lower(name)`, '=', name.trim().toLowerCase())
  if (exceptId) query = query.where('id', '<>', exceptId)
  return (await query.executeTakeFirst()) !== undefined
}
