import { Type, type Static } from 'typebox'
import { PageQuerySchema, PageSchema } from '../../http/pagination.ts'

export const AuditEventSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    occurredAt: Type.String({ format: 'date-time' }),
    actor: Type.Object(
      {
        kind: Type.Union([Type.Literal('user'), Type.Literal('client'), Type.Literal('operator'), Type.Literal('anonymous'), Type.Literal('system')]),
        id: Type.Union([Type.String(), Type.Null()], { description: 'User id, or client id for machine clients.' }),
      },
      { additionalProperties: false },
    ),
    action: Type.String({ description: 'Dotted verb, e.g. `group.created`, `user.group_changed`, `client.revoked`, `login.failed`.' }),
    target: Type.Object(
      { type: Type.String({ examples: ['group'] }), id: Type.Union([Type.String(), Type.Null()]) },
      { additionalProperties: false },
    ),
    before: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], { description: 'The target before the change (with its rights); null on creation.' }),
    after: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], { description: 'The target after the change; null on deletion.' }),
    requestId: Type.Union([Type.String(), Type.Null()], { description: 'X-Request-Id of the request that caused it.' }),
  },
  {
    $id: 'AuditEvent',
    additionalProperties: false,
    examples: [
      {
        id: '6f2f7a4e-0c1b-4f5e-9d1a-2b3c4d5e6f70',
        occurredAt: '2026-11-22T08:15:00.000Z',
        actor: { kind: 'user', id: '0b9c7f0e-3f55-4a0e-9a55-2f1b5d8c1e11' },
        action: 'group.updated',
        target: { type: 'group', id: '1a2b3c4d-5e6f-4a0b-8c9d-0e1f2a3b4c5d' },
        before: { name: 'Operasional', rights: [{ menu: 'SSM_PERIZINAN', enabled: true, actions: ['view'] }] },
        after: { name: 'Operasional', rights: [{ menu: 'SSM_PERIZINAN', enabled: true, actions: ['view', 'create'] }] },
        requestId: '4f1c2b7e-8a43-4a55-9d7e-0d5c1f3b2a10',
      },
    ],
  },
)
export type AuditEvent = Static<typeof AuditEventSchema>

export const AuditEventPageSchema = PageSchema('AuditEvent', { $id: 'AuditEventPage', description: 'A page of audit events, newest first.' })

export const AuditQuerySchema = Type.Object(
  {
    ...PageQuerySchema,
    actor: Type.Optional(Type.String({ maxLength: 128, description: 'Only events by this actor (user id or client id).' })),
    action: Type.Optional(
      Type.String({ maxLength: 64, pattern: '^[a-z_]+(\\.[a-z_]*)?$', description: 'An exact action (`user.created`), or a prefix ending in a dot (`user.`).' }),
    ),
    from: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Events at or after this time (ISO 8601).' })),
    to: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Events before this time (ISO 8601).' })),
  },
  { additionalProperties: false },
)
export type AuditQuery = Static<typeof AuditQuerySchema>
