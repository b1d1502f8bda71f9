/** Schemas shared by the organisation modules: menu codes, rights, the organisation's menu settings. */
import { Type, type Static } from 'typebox'
import { ACTIONS, MENU_CODES, type Action } from './menu-catalogue.ts'

export const MenuCodeSchema = Type.Unsafe<string>({
  $id: 'MenuCode',
  type: 'string',
  enum: MENU_CODES,
  description: 'An application menu (see `GET /v1/menus`).',
  examples: ['SSM_PERIZINAN'],
})

export const RightActionSchema = Type.Unsafe<Action>({
  $id: 'RightAction',
  type: 'string',
  enum: [...ACTIONS],
  description: 'A right on a menu.',
  examples: ['view'],
})

/** `$ref`s that keep their static type (a bare Type.Ref is `unknown` to TypeScript). */
export const menuCodeRef = () => Type.Unsafe<string>(Type.Ref('MenuCode'))
export const rightActionRef = () => Type.Unsafe<Action>(Type.Ref('RightAction'))

export const MenuRightsSchema = Type.Object(
  {
    menu: menuCodeRef(),
    actions: Type.Array(rightActionRef(), { uniqueItems: true, description: 'The actions allowed on the menu.' }),
  },
  { $id: 'MenuRights', additionalProperties: false, examples: [{ menu: 'SSM_PERIZINAN', actions: ['create', 'view'] }] },
)
export type MenuRights = Static<typeof MenuRightsSchema>

export const MenuSchema = Type.Object(
  {
    code: menuCodeRef(),
    name: Type.Object({ en: Type.String(), id: Type.String() }, { additionalProperties: false }),
    actions: Type.Array(rightActionRef(), { description: 'The rights this menu supports.' }),
  },
  {
    $id: 'Menu',
    additionalProperties: false,
    examples: [{ code: 'SSM_PERIZINAN', name: { en: 'SSM Licensing', id: 'SSM Perizinan' }, actions: ['create', 'view', 'edit', 'delete', 'approve', 'reject'] }],
  },
)

export const MenuCatalogueSchema = Type.Object(
  {
    items: Type.Array(Type.Ref('Menu')),
    next: Type.Null({ description: 'Always null: the catalogue fits on one page.' }),
  },
  { $id: 'MenuCatalogue', additionalProperties: false, description: 'Every application menu, in catalogue order.' },
)

export const OrganisationMenusSchema = Type.Object(
  {
    organisationId: Type.String({ format: 'uuid' }),
    menus: Type.Array(menuCodeRef(), { description: 'Menus the organisation\'s super admin holds (with every right each supports).' }),
    rateLimitPerMinute: Type.Union([Type.Integer(), Type.Null()], {
      description: 'API requests per minute shared by all the organisation\'s machine clients; null: the gateway default.',
    }),
  },
  {
    $id: 'OrganisationMenus',
    additionalProperties: false,
    examples: [{ organisationId: '5d1d6a0c-8b7e-4b8a-9a6e-9f3a3c2b1d00', menus: ['SSM_PERIZINAN', 'USER_MANAGEMENT'], rateLimitPerMinute: null }],
  },
)
export type OrganisationMenus = Static<typeof OrganisationMenusSchema>

export const SetOrganisationMenusSchema = Type.Object(
  { menus: Type.Array(menuCodeRef(), { uniqueItems: true, maxItems: 64 }) },
  { $id: 'SetOrganisationMenus', additionalProperties: false, examples: [{ menus: ['SSM_PERIZINAN', 'PELAPORAN_REALISASI', 'API_CATALOGUE', 'USER_MANAGEMENT'] }] },
)
export type SetOrganisationMenus = Static<typeof SetOrganisationMenusSchema>

export const SetOrganisationRateLimitSchema = Type.Object(
  {
    // One schema with a type list, not anyOf: with type coercion on, a refused 0 would be coerced to null by the null branch.
    perMinute: Type.Unsafe<number | null>({
      type: ['integer', 'null'],
      minimum: 1,
      maximum: 100000,
      description: 'Requests per minute for all the organisation\'s machine clients together; null restores the default.',
    }),
  },
  { $id: 'SetOrganisationRateLimit', additionalProperties: false, examples: [{ perMinute: 1200 }] },
)
export type SetOrganisationRateLimit = Static<typeof SetOrganisationRateLimitSchema>
