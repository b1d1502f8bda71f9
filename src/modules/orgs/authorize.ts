/**
 * The one authorization check of every organisation-scoped service, run before anything else:
 * 1. the caller is still active (a disabled user loses access at once; a revoked client at once on
 *    the instance that revoked it, within CLIENT_STATUS_TTL_MS of src/plugins/auth.ts elsewhere);
 * 2. the caller belongs to the organisation in the path, else 404: another organisation's ids
 *    cannot be probed (403 would confirm they exist);
 * 3. the caller holds the right (menu + action), else 403.
 * Effective rights of a user: the rights of their group's enabled menus, limited to the menus the
 * organisation has; a super admin holds every right of every menu the organisation has. A machine
 * client acts within its token's scopes (see SCOPE_RIGHTS). Rights are read on every request,
 * so a change takes effect on the caller's next request.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database, UserLevel } from '../../db/schema.ts'
import { AppError } from '../../errors/app-error.ts'
import type { Principal } from '../../plugins/auth.ts'
import { ACTIONS, MENU_CODES, SCOPE_RIGHTS, fullRights, holds, menuDefinition, type Action, type MenuCode, type RightsMap } from './menu-catalogue.ts'

type Db = Kysely<Database> | Transaction<Database>

export interface OrgCaller {
  kind: 'user' | 'client'
  /** users.id, or the machine client's client_id. */
  id: string
  organisationId: string
  /** Users only. */
  level?: UserLevel
  rights: RightsMap
  /** The token's scopes (the ceiling for people, the grant for clients). */
  scopes: Set<string>
}

export interface OperatorCaller {
  kind: 'operator'
  id: string
}

export function notFound(): AppError {
  return new AppError('NOT_FOUND', {
    detail: { en: 'Nothing with this id exists in this organisation.', id: 'Tidak ada data dengan id ini di organisasi ini.' },
  })
}

export function inactiveCaller(): AppError {
  return new AppError('INVALID_TOKEN', {
    detail: { en: 'The account behind this token is no longer active.', id: 'Akun pemilik token ini tidak lagi aktif.' },
    headers: { 'www-authenticate': 'Bearer realm="insw-gateway", error="invalid_token"' },
  })
}

export function forbidden(en: string, id: string): AppError {
  return new AppError('FORBIDDEN', { detail: { en, id } })
}

/** The organisation a person or machine client acts for; 403 (saying `because`) for a caller outside any, such as an operator. */
export function callerOrganisationId(principal: Principal, because: { en: string; id: string }): string {
  const organisationId = principal.kind === 'client' ? principal.client?.organisation.id : principal.organisationId
  if (!organisationId) throw forbidden(because.en, because.id)
  return organisationId
}

/** Rights of a group's enabled menus that the organisation has, and that the menu supports. */
export async function groupRights(db: Db, organisationId: string, groupId: string | null): Promise<RightsMap> {
  const rights: RightsMap = new Map()
  if (!groupId) return rights
  const rows = await db
    .selectFrom('group_menu_rights as r')
    .innerJoin('groups as g', 'g.id', 'r.group_id')
    .innerJoin('organisation_menus as om', (join) => join.onRef('om.organisation_id', '=', 'g.organisation_id').onRef('om.menu_code', '=', 'r.menu_code'))
    .select(['r.menu_code', 'r.can_create', 'r.can_view', 'r.can_edit', 'r.can_delete', 'r.can_approve', 'r.can_reject'])
    .where('g.id', '=', groupId)
    .where('g.organisation_id', '=', organisationId)
    .where('g.status', '=', 'active')
    .where('r.enabled', '=', true)
    .execute()
  for (const row of rows) {
    const supported = menuDefinition(row.menu_code)?.actions ?? []
    const allowed = new Set(ACTIONS.filter((action) => row[`can_${action}`] && supported.includes(action)))
    if (allowed.size) rights.set(row.menu_code, allowed)
  }
  return rights
}

export async function organisationMenuCodes(db: Db, organisationId: string): Promise<string[]> {
  const rows = await db.selectFrom('organisation_menus').select('menu_code').where('organisation_id', '=', organisationId).execute()
  return rows.map((row) => row.menu_code)
}

/** Effective rights of an organisation user (empty for other levels). */
export async function userRights(db: Db, user: { organisation_id: string | null; level: UserLevel; group_id: string | null }): Promise<RightsMap> {
  if (!user.organisation_id) return new Map()
  if (user.level === 'super_admin') return fullRights(await organisationMenuCodes(db, user.organisation_id))
  return groupRights(db, user.organisation_id, user.group_id)
}

function clientRights(scopes: Set<string>): RightsMap {
  const rights: RightsMap = new Map()
  for (const scope of scopes) {
    const right = SCOPE_RIGHTS[scope]
    if (right) rights.set(right.menu, new Set([...(rights.get(right.menu) ?? []), ...right.actions]))
  }
  return rights
}

/** Who the caller is within an organisation; 404 when they do not belong to it. */
export async function orgCaller(db: Db, principal: Principal, orgId: string): Promise<OrgCaller> {
  if (principal.kind === 'client') {
    // Authentication refused a revoked client and loaded its organisation (at most
    // CLIENT_STATUS_TTL_MS ago; a revocation on this instance is seen at once): no second read.
    const client = principal.client
    if (!client) throw inactiveCaller()
    if (client.organisation.id !== orgId) throw notFound()
    return { kind: 'client', id: principal.clientId, organisationId: orgId, rights: clientRights(principal.scopes), scopes: principal.scopes }
  }
  const user = await db
    .selectFrom('users')
    .select(['id', 'organisation_id', 'level', 'status', 'group_id'])
    .where('id', '=', principal.subject)
    .executeTakeFirst()
  if (!user || user.status !== 'active') throw inactiveCaller()
  if (user.organisation_id !== orgId) throw notFound()
  return { kind: 'user', id: user.id, organisationId: orgId, level: user.level, rights: await userRights(db, user), scopes: principal.scopes }
}

/** Membership, then the right: call first in every organisation-scoped service method. */
export async function requireOrgRight(db: Db, principal: Principal, orgId: string, menu: MenuCode, action: Action): Promise<OrgCaller> {
  const caller = await orgCaller(db, principal, orgId)
  if (!holds(caller.rights, menu, action)) {
    const name = menuDefinition(menu)?.name
    throw forbidden(
      `You need the right "${action}" on the menu ${name?.en ?? menu}.`,
      `Anda memerlukan hak "${action}" pada menu ${name?.id ?? menu}.`,
    )
  }
  return caller
}

/** Platform operators (INSW contact centre) only: organisation users and clients get 403. */
export async function requireOperator(db: Db, principal: Principal): Promise<OperatorCaller> {
  if (principal.kind !== 'user') throw forbidden('Only platform operators may do this.', 'Hanya operator platform yang dapat melakukan ini.')
  const user = await db.selectFrom('users').select(['id', 'level', 'status']).where('id', '=', principal.subject).executeTakeFirst()
  if (!user || user.status !== 'active') throw inactiveCaller()
  if (user.level !== 'platform_operator') throw forbidden('Only platform operators may do this.', 'Hanya operator platform yang dapat melakukan ini.')
  return { kind: 'operator', id: user.id }
}

/** Rights as the API shows them: `[{ menu, actions }]`, in catalogue order. */
export function rightsList(rights: RightsMap): { menu: string; actions: Action[] }[] {
  return MENU_CODES.filter((menu) => (rights.get(menu)?.size ?? 0) > 0)
    .map((menu) => [menu, rights.get(menu)!] as const)
    .map(([menu, actions]) => ({ menu, actions: ACTIONS.filter((action) => actions.has(action)) }))
}

/** A unique index that refused a row another request inserted first (code 23505) becomes 409, not 500. */
export async function conflictOnDuplicate<T>(work: Promise<T>, detail: { en: string; id: string }): Promise<T> {
  try {
    return await work
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw new AppError('CONFLICT', { detail, cause: error })
    throw error
  }
}
