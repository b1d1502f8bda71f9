/**
 * The menu catalogue, and which menus an organisation has. An organisation's menus are set by a
 * platform operator (the INSW contact centre changes a super admin's menus); members may read them.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { Principal } from '../../plugins/auth.ts'
import { actorOf } from '../audit/service.ts'
import { recordAudit } from '../audit/repository.ts'
import { notFound, orgCaller, organisationMenuCodes, requireOperator } from '../orgs/authorize.ts'
import { MENUS, MENU_CODES } from '../orgs/menu-catalogue.ts'
import type { OrganisationMenus, SetOrganisationMenus, SetOrganisationRateLimit } from '../orgs/schemas.ts'

type Db = Kysely<Database>

export function menuCatalogue() {
  return { items: MENUS.map((menu) => ({ code: menu.code, name: menu.name, actions: [...menu.actions] })), next: null }
}

/** Gives an organisation every menu of the catalogue (sandbox test organisations). */
export async function grantAllMenus(db: Kysely<Database> | Transaction<Database>, organisationId: string): Promise<void> {
  await db
    .insertInto('organisation_menus')
    .values(MENU_CODES.map((code) => ({ organisation_id: organisationId, menu_code: code, granted_by: null })))
    .onConflict((oc) => oc.doNothing())
    .execute()
}

async function describe(db: Db, orgId: string): Promise<OrganisationMenus> {
  const organisation = await db.selectFrom('organisations').select(['id', 'rate_limit_per_minute']).where('id', '=', orgId).executeTakeFirst()
  if (!organisation) throw notFound()
  const menus = new Set(await organisationMenuCodes(db, orgId))
  return { organisationId: orgId, menus: MENU_CODES.filter((code) => menus.has(code)), rateLimitPerMinute: organisation.rate_limit_per_minute }
}

/** Members of the organisation and platform operators may read its menus. */
export async function getOrganisationMenus(db: Db, principal: Principal, orgId: string): Promise<OrganisationMenus> {
  const isOperator = principal.kind === 'user' && (await db.selectFrom('users').select('level').where('id', '=', principal.subject).executeTakeFirst())?.level === 'platform_operator'
  if (isOperator) await requireOperator(db, principal)
  else await orgCaller(db, principal, orgId)
  return describe(db, orgId)
}

export async function setOrganisationMenus(db: Db, principal: Principal, orgId: string, body: SetOrganisationMenus, requestId: string): Promise<OrganisationMenus> {
  const operator = await requireOperator(db, principal)
  const before = await describe(db, orgId)
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('organisation_menus').where('organisation_id', '=', orgId).execute()
    if (body.menus.length) {
      await trx
        .insertInto('organisation_menus')
        .values(body.menus.map((code) => ({ organisation_id: orgId, menu_code: code, granted_by: operator.id })))
        .execute()
    }
    await recordAudit(trx, {
      organisationId: orgId,
      actor: actorOf(operator),
      action: 'organisation.menus_set',
      targetType: 'organisation',
      targetId: orgId,
      before: { menus: before.menus },
      after: { menus: MENU_CODES.filter((code) => body.menus.includes(code)) },
      requestId,
    })
  })
  return describe(db, orgId)
}

export async function setOrganisationRateLimit(
  db: Db,
  principal: Principal,
  orgId: string,
  body: SetOrganisationRateLimit,
  requestId: string,
): Promise<OrganisationMenus> {
  const operator = await requireOperator(db, principal)
  const before = await describe(db, orgId)
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('organisations').set({ rate_limit_per_minute: body.perMinute, updated_at: new Date() }).where('id', '=', orgId).execute()
    await recordAudit(trx, {
      organisationId: orgId,
      actor: actorOf(operator),
      action: 'organisation.rate_limit_set',
      targetType: 'organisation',
      targetId: orgId,
      before: { rateLimitPerMinute: before.rateLimitPerMinute },
      after: { rateLimitPerMinute: body.perMinute },
      requestId,
    })
  })
  return describe(db, orgId)
}
