/** Path parameters shared by the organisation-scoped routes. */
import { Type, type Static } from 'typebox'

const orgId = Type.String({ format: 'uuid', maxLength: 36, description: 'The organisation (yours: another organisation\'s id answers 404).' })

export const OrgParamsSchema = Type.Object({ orgId }, { additionalProperties: false })
export type OrgParams = Static<typeof OrgParamsSchema>

export const GroupParamsSchema = Type.Object({ orgId, groupId: Type.String({ format: 'uuid', maxLength: 36 }) }, { additionalProperties: false })
export type GroupParams = Static<typeof GroupParamsSchema>

export const UserParamsSchema = Type.Object({ orgId, userId: Type.String({ format: 'uuid', maxLength: 36 }) }, { additionalProperties: false })
export type UserParams = Static<typeof UserParamsSchema>

export const ClientParamsSchema = Type.Object(
  { orgId, clientId: Type.String({ pattern: '^[a-z0-9-]{1,64}$', maxLength: 64, description: 'The machine client\'s client_id.' }) },
  { additionalProperties: false },
)
export type ClientParams = Static<typeof ClientParamsSchema>
