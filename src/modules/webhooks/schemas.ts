import { Type, type Static } from 'typebox'
import { PageQuerySchema, PageSchema } from '../../http/pagination.ts'
import { COMPLIANCE_EVENT_TYPES, EVENT_TYPES, PERMIT_EVENT_TYPES, PERMIT_STATUSES_NOTIFIED } from '../notifications/catalogue.ts'

const uuid = Type.String({ format: 'uuid', maxLength: 36 })
const dateTime = Type.String({ format: 'date-time' })
const nullable = <T extends ReturnType<typeof Type.String>>(schema: T, description?: string) => Type.Union([schema, Type.Null()], description ? { description } : {})

const eventTypes = Type.Array(Type.Union(EVENT_TYPES.map((type) => Type.Literal(type))), {
  minItems: 1,
  maxItems: EVENT_TYPES.length,
  uniqueItems: true,
  description: 'Event types to receive, from the catalogue (the contract\'s `webhooks` section lists each with its payload).',
})
const url = Type.String({
  format: 'uri',
  maxLength: 2048,
  description:
    'Where messages are POSTed. `https` (sandbox mode: `http` too); no credentials in the URL; a host that is or resolves to a loopback, private, link-local, CGNAT, multicast or cloud metadata address is refused (sandbox mode allows loopback).',
})
const description = Type.String({ maxLength: 500, description: 'What the endpoint is for (your own note).' })

const hookExample = {
  id: '0b8f7a34-2f7c-4c8e-9d3e-6a1f2b3c4d5e',
  organisationId: '5d1d6a0c-8b7e-4b8a-9a6e-9f3a3c2b1d00',
  url: 'https://erp.example.co.id/hooks/insw',
  description: 'ERP: permit status',
  eventTypes: ['permit.approved', 'permit.rejected', 'permit.issued'],
  enabled: true,
  disabledReason: null,
  failingSince: null,
  previousSecretExpiresAt: null,
  createdBy: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  createdAt: '2026-11-22T08:00:00.000Z',
  updatedAt: '2026-11-22T08:00:00.000Z',
}

export const WebhookSchema = Type.Object(
  {
    id: uuid,
    organisationId: uuid,
    url: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    eventTypes: Type.Array(Type.String()),
    enabled: Type.Boolean({ description: 'False: nothing is sent; messages wait and go out, in order, once it is enabled again.' }),
    disabledReason: nullable(Type.String(), 'Why the gateway disabled the endpoint (every attempt failed for WEBHOOK_DISABLE_AFTER_MS, 72 h by default).'),
    failingSince: nullable(Type.String({ format: 'date-time' }), 'Start of the current run of failed attempts; null while deliveries succeed.'),
    previousSecretExpiresAt: nullable(Type.String({ format: 'date-time' }), 'After a rotation, the previous secret also signs until then.'),
    createdBy: Type.Union([Type.String(), Type.Null()]),
    createdAt: dateTime,
    updatedAt: dateTime,
  },
  { $id: 'Webhook', additionalProperties: false, examples: [hookExample] },
)
export type Webhook = Static<typeof WebhookSchema>

export const WebhookPageSchema = PageSchema('Webhook', { $id: 'WebhookPage' })

export const WebhookWithSecretSchema = Type.Object(
  {
    webhook: Type.Ref('Webhook'),
    secret: Type.String({
      pattern: '^whsec_[A-Za-z0-9+/]+=*$',
      description: 'The signing secret, in this answer only (stored encrypted, never shown again). Verify messages with it using a Standard Webhooks library.',
    }),
  },
  { $id: 'WebhookWithSecret', additionalProperties: false, examples: [{ webhook: hookExample, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }] },
)
export type WebhookWithSecret = Static<typeof WebhookWithSecretSchema>

export const CreateWebhookSchema = Type.Object(
  { url, description: Type.Optional(description), eventTypes },
  {
    $id: 'CreateWebhook',
    additionalProperties: false,
    examples: [{ url: 'https://erp.example.co.id/hooks/insw', description: 'ERP: permit status', eventTypes: ['permit.approved', 'permit.rejected', 'permit.issued'] }],
  },
)
export type CreateWebhook = Static<typeof CreateWebhookSchema>

export const UpdateWebhookSchema = Type.Object(
  {
    url: Type.Optional(url),
    // Null first: with type coercion on, a null would otherwise be coerced to the string branch ("").
    description: Type.Optional(Type.Union([Type.Null(), description])),
    eventTypes: Type.Optional(eventTypes),
    enabled: Type.Optional(Type.Boolean({ description: 'Enabling again sends the messages that waited, in order, and clears the failing period.' })),
  },
  { $id: 'UpdateWebhook', additionalProperties: false, minProperties: 1, examples: [{ enabled: true }, { eventTypes: ['permit.issued'] }] },
)
export type UpdateWebhook = Static<typeof UpdateWebhookSchema>

export const RotateWebhookSecretSchema = Type.Object(
  {
    overlapSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 7 * 86_400,
        description: 'How long the previous secret keeps signing beside the new one (0–7 days; default WEBHOOK_ROTATION_OVERLAP_SECONDS, 1 day).',
      }),
    ),
  },
  { $id: 'RotateWebhookSecret', additionalProperties: false, examples: [{ overlapSeconds: 3600 }] },
)
export type RotateWebhookSecret = Static<typeof RotateWebhookSecretSchema>

const state = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')], {
  description: '`pending`: waiting (or being retried); `delivered`: a 2xx came back; `failed`: retries ran out (redeliver to try again).',
})

const deliveryExample = {
  id: '9a3c5e7f-1b2d-4c6e-8f0a-1b2c3d4e5f60',
  webhookId: hookExample.id,
  eventType: 'permit.approved',
  subjectId: 'c1a2b3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
  sequence: 5,
  state: 'delivered',
  attempts: 2,
  lastAttemptAt: '2026-11-22T08:05:00.000Z',
  lastStatusCode: 204,
  deliveredAt: '2026-11-22T08:05:00.000Z',
  createdAt: '2026-11-22T08:04:00.000Z',
}

const deliveryFields = {
  id: Type.String({ format: 'uuid', description: 'The message id: the `webhook-id` header, the same on every attempt.' }),
  webhookId: uuid,
  eventType: Type.String(),
  subjectId: Type.String({ description: 'The permit (or, for `webhook.*` messages, the endpoint) the message is about.' }),
  sequence: Type.Integer({ description: 'The permit\'s event sequence: a receiver orders a permit\'s messages by it.' }),
  state,
  attempts: Type.Integer({ minimum: 0 }),
  lastAttemptAt: nullable(Type.String({ format: 'date-time' })),
  lastStatusCode: Type.Union([Type.Integer(), Type.Null()], { description: 'The HTTP status of the last attempt (null: no answer, or not tried yet).' }),
  deliveredAt: nullable(Type.String({ format: 'date-time' })),
  createdAt: dateTime,
}

export const WebhookDeliverySchema = Type.Object(deliveryFields, { $id: 'WebhookDelivery', additionalProperties: false, examples: [deliveryExample] })
export type WebhookDelivery = Static<typeof WebhookDeliverySchema>

export const WebhookDeliveryPageSchema = PageSchema('WebhookDelivery', { $id: 'WebhookDeliveryPage' })

const attemptExample = { attemptedAt: '2026-11-22T08:05:00.000Z', statusCode: 204, latencyMs: 87, outcome: 'delivered', error: null, responseExcerpt: null }

export const WebhookDeliveryAttemptSchema = Type.Object(
  {
    attemptedAt: dateTime,
    statusCode: Type.Union([Type.Integer(), Type.Null()], { description: 'Null: no HTTP answer (refused address, connection error, timeout).' }),
    latencyMs: Type.Integer({ minimum: 0 }),
    outcome: Type.Union([Type.Literal('delivered'), Type.Literal('failed')]),
    error: nullable(Type.String(), 'Why it failed: the status, a redirect not followed, a timeout, a refused address.'),
    responseExcerpt: nullable(Type.String(), 'The first 500 characters of the answer (at most 64 KiB of it is read).'),
  },
  { $id: 'WebhookDeliveryAttempt', additionalProperties: false, examples: [attemptExample] },
)

export const WebhookDeliveryDetailSchema = Type.Object(
  {
    ...deliveryFields,
    payload: Type.Object({}, { additionalProperties: true, description: 'The message body exactly as sent.' }),
    attemptLog: Type.Array(Type.Ref('WebhookDeliveryAttempt'), { description: 'Every attempt, oldest first.' }),
  },
  {
    $id: 'WebhookDeliveryDetail',
    additionalProperties: false,
    examples: [{ ...deliveryExample, payload: { type: 'permit.approved', timestamp: '2026-11-22T08:04:00.000Z', data: {} }, attemptLog: [{ ...attemptExample, statusCode: 503, outcome: 'failed', error: 'answered 503', latencyMs: 40 }, attemptExample] }],
  },
)

export const WebhookPingResultSchema = Type.Object(
  {
    deliveryId: Type.String({ format: 'uuid', description: 'The ping\'s message id (`webhook-id`); it shows in the delivery log.' }),
    attemptedAt: dateTime,
    statusCode: Type.Union([Type.Integer(), Type.Null()]),
    latencyMs: Type.Integer({ minimum: 0 }),
    outcome: Type.Union([Type.Literal('delivered'), Type.Literal('failed')]),
    error: Type.Union([Type.String(), Type.Null()]),
    responseExcerpt: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'WebhookPingResult', additionalProperties: false, examples: [{ deliveryId: deliveryExample.id, ...attemptExample }] },
)

export const WebhookParamsSchema = Type.Object(
  { orgId: Type.String({ format: 'uuid', maxLength: 36, description: 'The organisation (yours: another organisation\'s id answers 404).' }), webhookId: uuid },
  { additionalProperties: false },
)
export type WebhookParams = Static<typeof WebhookParamsSchema>

export const DeliveryParamsSchema = Type.Object({ ...WebhookParamsSchema.properties, deliveryId: uuid }, { additionalProperties: false })
export type DeliveryParams = Static<typeof DeliveryParamsSchema>

export const WebhookQuerySchema = Type.Object({ ...PageQuerySchema }, { additionalProperties: false })
export type WebhookQuery = Static<typeof WebhookQuerySchema>

export const DeliveryQuerySchema = Type.Object({ ...PageQuerySchema, state: Type.Optional(state) }, { additionalProperties: false })
export type DeliveryQuery = Static<typeof DeliveryQuerySchema>

// The messages themselves (the contract's `webhooks` section): Standard Webhooks' `{ type, timestamp, data }`.

const permitStatus = Type.Union(PERMIT_STATUSES_NOTIFIED.map((status) => Type.Literal(status)))

export const PermitEventMessageSchema = Type.Object(
  {
    type: Type.Union(PERMIT_EVENT_TYPES.map((type) => Type.Literal(type)), { description: '`permit.<status>`: the status the permit reached.' }),
    timestamp: Type.String({ format: 'date-time', description: 'When the step happened.' }),
    data: Type.Object(
      {
        permitId: uuid,
        referenceNumber: Type.String(),
        clientReference: Type.String({ description: 'Your own reference, as submitted.' }),
        permitType: Type.String(),
        status: permitStatus,
        previousStatus: Type.Union([Type.String(), Type.Null()]),
        sequence: Type.Integer({ minimum: 1, description: 'The step\'s number in the permit\'s event log: order a permit\'s messages by it, and drop one you already have.' }),
        reason: Type.Optional(Type.String({ description: '`permit.rejected`: INATRADE\'s reason.' })),
        licenceNumber: Type.Optional(Type.String({ description: '`permit.issued`: the licence number.' })),
        links: Type.Object(
          {
            permit: Type.String({ description: 'The permit (GET with a token).' }),
            events: Type.String({ description: 'Its event log.' }),
            document: Type.Optional(Type.String({ description: '`permit.issued`: the licence document.' })),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'PermitEventMessage', additionalProperties: false, description: 'A permit reached a status. No personal data: fetch the permit for the details.' },
)

export const WebhookDisabledMessageSchema = Type.Object(
  {
    type: Type.Literal('webhook.disabled'),
    timestamp: dateTime,
    data: Type.Object(
      {
        webhookId: uuid,
        url: Type.String(),
        reason: Type.String(),
        failingSince: dateTime,
        disabledAt: dateTime,
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'WebhookDisabledMessage', additionalProperties: false, description: 'Another endpoint of your organisation was disabled after failing for too long.' },
)

export const ComplianceEventMessageSchema = Type.Object(
  {
    type: Type.Union(COMPLIANCE_EVENT_TYPES.map((type) => Type.Literal(type)), {
      description: '`obligation.due_soon` (a report is due within the reminder days), `sanction.applied` (a ladder step; step 1 is the electronic warning), `sanction.ended` (lifted, waived or expired).',
    }),
    timestamp: dateTime,
    data: Type.Object(
      {
        organisationId: uuid,
        sequence: Type.Integer({ minimum: 1, description: 'The organisation\'s compliance event number: order by it, drop one you already have.' }),
        obligationId: Type.Optional(Type.Union([uuid, Type.Null()])),
        permitId: Type.Optional(uuid),
        sanctionId: Type.Optional(uuid),
        kind: Type.Optional(Type.String({ description: 'The obligation kind (its ladder).' })),
        period: Type.Optional(Type.String()),
        dueDate: Type.Optional(Type.String()),
        dueAt: Type.Optional(dateTime),
        step: Type.Optional(Type.Integer({ minimum: 1 })),
        code: Type.Optional(Type.String({ description: 'The sanction: `electronic_warning`, `licence_freeze`…' })),
        blocksSubmissions: Type.Optional(Type.Boolean()),
        daysOverdue: Type.Optional(Type.Integer({ minimum: 0 })),
        status: Type.Optional(Type.String({ description: '`sanction.ended`: `lifted`, `waived` or `expired`.' })),
        reason: Type.Optional(Type.Union([Type.String(), Type.Null()])),
        links: Type.Object({ compliance: Type.String(), obligations: Type.String() }, { additionalProperties: false }),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'ComplianceEventMessage', additionalProperties: false, description: 'A reporting deadline is near, or a sanction was applied or ended. `GET /v1/compliance` has the full standing.' },
)

export const WebhookPingMessageSchema = Type.Object(
  {
    type: Type.Literal('webhook.ping'),
    timestamp: dateTime,
    data: Type.Object({ webhookId: uuid, organisationId: uuid }, { additionalProperties: false }),
  },
  { $id: 'WebhookPingMessage', additionalProperties: false, description: 'A test message (`POST …/webhooks/{webhookId}/ping`); not subscribable, always sent on request.' },
)
