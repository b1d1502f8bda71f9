/**
 * Groups: a level and per-menu rights. Authorization first (membership, then the User Management
 * right), then the level rule (you manage only levels below yours) and the grant rule (you hand
 * down only rights you hold). Every change is audited with the rights before and after.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../errors/app-error.ts'
import { decodeCursor, nextLink, toPage } from '../../http/pagination.ts'
import type { Principal } from '../../plugins/auth.ts'
import { recordAudit } from '../audit/repository.ts'
import { actorOf } from '../audit/service.ts'
import { conflictOnDuplicate, notFound, requireOrgRight } from '../orgs/authorize.ts'
import { requireHoldsAll, requireManages } from '../orgs/hierarchy.ts'
import { menuDefinition, type Action } from '../orgs/menu-catalogue.ts'
import * as repo from './repository.ts'
import type { CreateGroup, Group, GroupMenuRights, GroupQuery, UpdateGroup } from './schemas.ts'

type Db = Kysely<Database>

function toGroup(row: repo.GroupRow, rights: GroupMenuRights[]): Group {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    level: row.level,
    name: row.name,
    status: row.status,
    rights,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

/** Rights as stored: one entry per menu, only actions the menu supports (else 422). */
function normaliseRights(rights: GroupMenuRights[]): GroupMenuRights[] {
  const seen = new Set<string>()
  return rights.map((entry, index) => {
    if (seen.has(entry.menu)) {
      throw new AppError('VALIDATION_FAILED', {
        detail: { en: `The menu ${entry.menu} is listed twice.`, id: `Menu ${entry.menu} tercantum dua kali.` },
        errors: [{ pointer: `/rights/${index}/menu`, in: 'body', detail: 'listed twice', reason: 'uniqueMenu' }],
      })
    }
    seen.add(entry.menu)
    const supported = menuDefinition(entry.menu)?.actions ?? []
    const unsupported = entry.actions.filter((action) => !supported.includes(action))
    if (unsupported.length) {
      throw new AppError('VALIDATION_FAILED', {
        detail: { en: `The menu ${entry.menu} has no right ${unsupported.join(', ')}.`, id: `Menu ${entry.menu} tidak memiliki hak ${unsupported.join(', ')}.` },
        errors: [{ pointer: `/rights/${index}/actions`, in: 'body', detail: `not supported by this menu: ${unsupported.join(', ')}`, reason: 'unsupportedRight' }],
      })
    }
    return { menu: entry.menu, enabled: entry.enabled ?? true, actions: [...entry.actions] }
  })
}

/** Rights in `after` that `before` did not grant: what the caller is handing down now. */
function newlyGranted(before: GroupMenuRights[], after: GroupMenuRights[]): { menu: string; action: Action }[] {
  const had = new Set(before.flatMap((entry) => entry.actions.map((action) => `${entry.menu}:${action}`)))
  return after.flatMap((entry) => entry.actions.filter((action) => !had.has(`${entry.menu}:${action}`)).map((action) => ({ menu: entry.menu, action })))
}

const NAME_TAKEN = { en: 'A group with this name already exists.', id: 'Grup dengan nama ini sudah ada.' }

async function assertNameFree(db: Db, orgId: string, name: string, exceptId?: string): Promise<void> {
  if (await repo.groupNameTaken(db, orgId, name, exceptId)) throw new AppError('CONFLICT', { detail: NAME_TAKEN })
}

function audited(group: Group) {
  return { level: group.level, name: group.name, status: group.status, rights: group.rights }
}

export async function listGroups(db: Db, principal: Principal, orgId: string, query: GroupQuery, requestUrl: string) {
  await requireOrgRight(db, principal, orgId, 'USER_MANAGEMENT', 'view')
  const limit = query.limit ?? 20
  const rows = await repo.listGroups(db, { organisationId: orgId, level: query.level, status: query.status, cursor: decodeCursor(query.cursor), limit })
  const rights = await repo.rightsOfGroups(db, rows.slice(0, limit).map((row) => row.id))
  return toPage(
    rows,
    limit,
    (row) => ({ at: row.position_at, id: row.id }),
    (row) => toGroup(row, rights.get(row.id) ?? []),
    (cursor) => nextLink(requestUrl, cursor),
  )
}

export async function getGroup(db: Db, principal: Principal, orgId: string, groupId: string): Promise<Group> {
  await requireOrgRight(db, principal, orgId, 'USER_MANAGEMENT', 'view')
  const row = await repo.findGroup(db, orgId, groupId)
  if (!row) throw notFound()
  return toGroup(row, (await repo.rightsOfGroups(db, [row.id])).get(row.id) ?? [])
}

export async function createGroup(db: Db, principal: Principal, orgId: string, body: CreateGroup, requestId: string): Promise<Group> {
  const caller = await requireOrgRight(db, principal, orgId, 'USER_MANAGEMENT', 'create')
  requireManages(caller, body.level)
  const rights = normaliseRights(body.rights)
  requireHoldsAll(caller, newlyGranted([], rights))
  await assertNameFree(db, orgId, body.name)
  const created = db.transaction().execute(async (trx) => {
    const row = await repo.insertGroup(trx, { organisationId: orgId, level: body.level, name: body.name, status: body.status ?? 'active', createdBy: caller.id })
    await repo.replaceGroupRights(trx, row.id, rights)
    const group = toGroup(row, (await repo.rightsOfGroups(trx, [row.id])).get(row.id) ?? [])
    await recordAudit(trx, { organisationId: orgId, actor: actorOf(caller), action: 'group.created', targetType: 'group', targetId: row.id, after: audited(group), requestId })
    return group
  })
  return conflictOnDuplicate(created, NAME_TAKEN)
}

export async function updateGroup(db: Db, principal: Principal, orgId: string, groupId: string, body: UpdateGroup, requestId: string): Promise<Group> {
  const caller = await requireOrgRight(db, principal, orgId, 'USER_MANAGEMENT', 'edit')
  const before = await getGroupRow(db, orgId, groupId)
  requireManages(caller, before.level)
  const rights = body.rights ? normaliseRights(body.rights) : undefined
  if (rights) requireHoldsAll(caller, newlyGranted(before.rights, rights))
  if (body.name !== undefined) await assertNameFree(db, orgId, body.name, groupId)
  const updated = db.transaction().execute(async (trx) => {
    const row = await repo.updateGroup(trx, groupId, { name: body.name, status: body.status })
    if (rights) await repo.replaceGroupRights(trx, groupId, rights)
    const after = toGroup(row, (await repo.rightsOfGroups(trx, [groupId])).get(groupId) ?? [])
    await recordAudit(trx, {
      organisationId: orgId,
      actor: actorOf(caller),
      action: rights ? 'group.rights_changed' : 'group.updated',
      targetType: 'group',
      targetId: groupId,
      before: audited(before),
      after: audited(after),
      requestId,
    })
    return after
  })
  return conflictOnDuplicate(updated, NAME_TAKEN)
}

export async function deleteGroup(db: Db, principal: Principal, orgId: string, groupId: string, requestId: string): Promise<void> {
  const caller = await requireOrgRight(db, principal, orgId, 'USER_MANAGEMENT', 'delete')
  const before = await getGroupRow(db, orgId, groupId)
  requireManages(caller, before.level)
  await db.transaction().execute(async (trx) => {
    if ((await repo.countGroupMembers(trx, groupId)) > 0) {
      throw new AppError('CONFLICT', {
        detail: { en: 'The group still has users: move them to another group first.', id: 'Grup masih memiliki pengguna: pindahkan mereka ke grup lain terlebih dahulu.' },
      })
    }
    await repo.deleteGroup(trx, groupId)
    await recordAudit(trx, { organisationId: orgId, actor: actorOf(caller), action: 'group.deleted', targetType: 'group', targetId: groupId, before: audited(before), requestId })
  })
}

async function getGroupRow(db: Db, orgId: string, groupId: string): Promise<Group> {
  const row = await repo.findGroup(db, orgId, groupId)
  if (!row) throw notFound()
  return toGroup(row, (await repo.rightsOfGroups(db, [row.id])).get(row.id) ?? [])
}
