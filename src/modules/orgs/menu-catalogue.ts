/**
 * The application menus an organisation's users are granted rights on, and the rights each
 * menu supports. Code, not a table: a new menu ships with the code that serves it.
 * Gateway operations map onto menus: users, groups and the audit log are USER_MANAGEMENT;
 * machine clients are API_CATALOGUE; permits are SSM_PERIZINAN; realisation reports
 * PELAPORAN_REALISASI.
 */
export const ACTIONS = ['create', 'view', 'edit', 'delete', 'approve', 'reject'] as const
export type Action = (typeof ACTIONS)[number]

export interface MenuDefinition {
  code: string
  name: { en: string; id: string }
  actions: readonly Action[]
}

const ALL: readonly Action[] = ACTIONS
const CRUD: readonly Action[] = ['create', 'view', 'edit', 'delete']

export const MENUS = [
  { code: 'SSM_PERIZINAN', name: { en: 'SSM Licensing', id: 'SSM Perizinan' }, actions: ALL },
  { code: 'SSM_MIGAS', name: { en: 'SSM Oil and Gas', id: 'SSM Migas' }, actions: ALL },
  { code: 'SSM_PENGANGKUT', name: { en: 'SSm Carriers', id: 'SSm Pengangkut' }, actions: ALL },
  { code: 'SSM_FASILITAS', name: { en: 'SSm Facilities', id: 'SSm Fasilitas' }, actions: ALL },
  { code: 'SKBPPN', name: { en: 'SKBPPN (VAT exemption certificate)', id: 'SKBPPN' }, actions: ALL },
  { code: 'NERACA_KOMODITAS', name: { en: 'Commodity Balance', id: 'Neraca Komoditas' }, actions: ALL },
  { code: 'PELAPORAN_REALISASI', name: { en: 'Realisation Reports', id: 'Pelaporan Realisasi' }, actions: ['create', 'view', 'edit', 'delete'] },
  { code: 'API_CATALOGUE', name: { en: 'API Catalogue and machine clients', id: 'Katalog API dan klien mesin' }, actions: CRUD },
  { code: 'USER_MANAGEMENT', name: { en: 'User Management', id: 'Manajemen Pengguna' }, actions: CRUD },
] as const satisfies readonly MenuDefinition[]

export type MenuCode = (typeof MENUS)[number]['code']
export const MENU_CODES = MENUS.map((menu) => menu.code) as MenuCode[]

const BY_CODE = new Map<string, MenuDefinition>(MENUS.map((menu) => [menu.code, menu]))

export function menuDefinition(code: string): MenuDefinition | undefined {
  return BY_CODE.get(code)
}

/** Rights per menu: the allowed actions. The shape `/v1/me` and every rights check use. */
export type RightsMap = Map<string, Set<Action>>

/** Rights a menu supports, all of them: what a super admin holds on each of the org's menus. */
export function fullRights(menuCodes: Iterable<string>): RightsMap {
  const rights: RightsMap = new Map()
  for (const code of menuCodes) {
    const menu = BY_CODE.get(code)
    if (menu) rights.set(code, new Set(menu.actions))
  }
  return rights
}

export function holds(rights: RightsMap, menu: string, action: Action): boolean {
  return rights.get(menu)?.has(action) ?? false
}

/**
 * What API scopes mean in menu rights: a machine client may only get a scope its creator holds
 * as a right (a client can never do more than the person who made it).
 */
export const SCOPE_RIGHTS: Record<string, { menu: MenuCode; actions: Action[] }> = {
  'org:read': { menu: 'USER_MANAGEMENT', actions: ['view'] },
  'permits:read': { menu: 'SSM_PERIZINAN', actions: ['view'] },
  'permits:write': { menu: 'SSM_PERIZINAN', actions: ['create'] },
  'reports:read': { menu: 'PELAPORAN_REALISASI', actions: ['view'] },
  'reports:write': { menu: 'PELAPORAN_REALISASI', actions: ['create'] },
  // An in-house system registers and looks after its own callback endpoints.
  'webhooks:read': { menu: 'API_CATALOGUE', actions: ['view'] },
  'webhooks:write': { menu: 'API_CATALOGUE', actions: ['view', 'create', 'edit', 'delete'] },
}
