/**
 * The level rules every user and group operation shares: a super admin creates and manages admins
 * and non-admins, an admin non-admins only, a non-admin nobody; and nobody grants a right they do
 * not hold themselves.
 */
import type { UserLevel } from '../../db/schema.ts'
import type { GroupLevel } from '../../db/tables/rbac.ts'
import { forbidden, type OrgCaller } from './authorize.ts'
import { holds, menuDefinition, type Action, type RightsMap } from './menu-catalogue.ts'

const MANAGES: Record<UserLevel, GroupLevel[]> = {
  super_admin: ['admin', 'non_admin'],
  admin: ['non_admin'],
  non_admin: [],
  platform_operator: [],
}

export function manageableLevels(caller: OrgCaller): GroupLevel[] {
  return caller.kind === 'user' && caller.level ? MANAGES[caller.level] : []
}

/** Throws 403 unless the caller may manage users (and groups) of this level. */
export function requireManages(caller: OrgCaller, level: string): void {
  if ((manageableLevels(caller) as string[]).includes(level)) return
  const what = level === 'admin' ? { en: 'admins', id: 'admin' } : level === 'non_admin' ? { en: 'non-admins', id: 'non-admin' } : { en: 'super admins', id: 'super admin' }
  throw forbidden(`Your level may not manage ${what.en} or their groups.`, `Level Anda tidak dapat mengelola ${what.id} atau grupnya.`)
}

/** Throws 403 naming the first right the caller would hand down without holding it. */
export function requireHoldsAll(caller: OrgCaller, granted: Iterable<{ menu: string; action: Action }>): void {
  for (const { menu, action } of granted) {
    if (!holds(caller.rights, menu, action)) {
      const name = menuDefinition(menu)?.name
      throw forbidden(
        `You cannot grant "${action}" on ${name?.en ?? menu}: you do not hold it yourself.`,
        `Anda tidak dapat memberikan hak "${action}" pada ${name?.id ?? menu}: Anda sendiri tidak memilikinya.`,
      )
    }
  }
}

/** Every (menu, action) pair of a rights map. */
export function pairs(rights: RightsMap): { menu: string; action: Action }[] {
  return [...rights].flatMap(([menu, actions]) => [...actions].map((action) => ({ menu, action })))
}
