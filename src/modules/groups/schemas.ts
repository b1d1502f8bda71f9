import { Type, type Static } from 'typebox'
import { PageQuerySchema, PageSchema } from '../../http/pagination.ts'
import { menuCodeRef, rightActionRef } from '../orgs/schemas.ts'

export const GroupMenuRightsSchema = Type.Object(
  {
    menu: menuCodeRef(),
    enabled: Type.Boolean({ default: true, description: 'false switches the menu off for a while: its rights are kept but grant nothing.' }),
    actions: Type.Array(rightActionRef(), { uniqueItems: true, maxItems: 6, description: 'Create, View, Edit, Delete, Approve, Reject: the ones granted.' }),
  },
  { $id: 'GroupMenuRights', additionalProperties: false, examples: [{ menu: 'SSM_PERIZINAN', enabled: true, actions: ['create', 'view'] }] },
)
export type GroupMenuRights = Static<typeof GroupMenuRightsSchema>

const level = Type.Union([Type.Literal('admin'), Type.Literal('non_admin')], { description: 'Level of the group\'s users. Super admin is not selectable.' })
const status = Type.Union([Type.Literal('active'), Type.Literal('inactive')], { description: 'Users of an inactive group hold no rights.' })
const name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', examples: ['Tim Perizinan'] })
const rights = Type.Array(Type.Unsafe<GroupMenuRights>(Type.Ref('GroupMenuRights')), { maxItems: 64, description: 'One entry per menu (a menu at most once).' })

const example = {
  id: '1a2b3c4d-5e6f-4a0b-8c9d-0e1f2a3b4c5d',
  organisationId: '5d1d6a0c-8b7e-4b8a-9a6e-9f3a3c2b1d00',
  level: 'admin',
  name: 'Admin Perizinan',
  status: 'active',
  rights: [
    { menu: 'SSM_PERIZINAN', enabled: true, actions: ['create', 'view', 'edit'] },
    { menu: 'USER_MANAGEMENT', enabled: true, actions: ['create', 'view', 'edit', 'delete'] },
  ],
  createdBy: '0b9c7f0e-3f55-4a0e-9a55-2f1b5d8c1e11',
  createdAt: '2026-11-22T08:00:00.000Z',
  updatedAt: '2026-11-22T08:00:00.000Z',
}

export const GroupSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    organisationId: Type.String({ format: 'uuid' }),
    level,
    name: Type.String(),
    status,
    rights,
    createdBy: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Group', additionalProperties: false, examples: [example] },
)
export type Group = Static<typeof GroupSchema>

export const GroupPageSchema = PageSchema('Group', { $id: 'GroupPage' })

export const CreateGroupSchema = Type.Object(
  { level, name, status: Type.Optional(status), rights },
  {
    $id: 'CreateGroup',
    additionalProperties: false,
    examples: [{ level: 'admin', name: 'Admin Perizinan', rights: example.rights }],
  },
)
export type CreateGroup = Static<typeof CreateGroupSchema>

export const UpdateGroupSchema = Type.Object(
  { name: Type.Optional(name), status: Type.Optional(status), rights: Type.Optional(rights) },
  {
    $id: 'UpdateGroup',
    additionalProperties: false,
    minProperties: 1,
    description: 'The level of a group cannot change (its users\' level would change with it); `rights` replaces every menu\'s rights.',
    examples: [{ rights: [{ menu: 'SSM_PERIZINAN', enabled: false, actions: ['create', 'view', 'edit'] }] }],
  },
)
export type UpdateGroup = Static<typeof UpdateGroupSchema>

export const GroupQuerySchema = Type.Object(
  {
    ...PageQuerySchema,
    level: Type.Optional(level),
    status: Type.Optional(status),
  },
  { additionalProperties: false },
)
export type GroupQuery = Static<typeof GroupQuerySchema>
