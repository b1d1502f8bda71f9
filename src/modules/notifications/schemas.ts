/**
 * The notification feed's contract: one notification as a reader sees it (texts in their
 * language), the page with the unread count, the read state after marking, and the queries.
 * Named components, registered once in src/modules/schemas.ts.
 */
import { Type, type Static } from 'typebox'
import { PageQuerySchema } from '../../http/pagination.ts'
import { NOTIFICATION_TYPES } from './catalogue.ts'

const PERMIT_EXAMPLE = '3f0c6c1e-8d6f-4a7b-9a61-0c2b9e1d4a55'
/** Notification ids: decimal strings (int8 in the database; strings so no client rounds them). */
export const NOTIFICATION_ID_PATTERN = '^[1-9][0-9]{0,17}$'

export const NOTIFICATION_EXAMPLE = {
  id: '1842',
  type: 'permit.approved',
  title: 'Permohonan PRM-2026-K7Q2M4XN3P disetujui',
  body: 'INATRADE menyetujui permohonan; izin sedang diterbitkan.',
  subject: { type: 'permit', id: PERMIT_EXAMPLE, url: `/v1/permits/${PERMIT_EXAMPLE}` },
  data: {
    permitId: PERMIT_EXAMPLE,
    referenceNumber: 'PRM-2026-K7Q2M4XN3P',
    clientReference: 'ERP-PO-2026-00118',
    permitType: 'PI-GULA',
    status: 'approved',
    previousStatus: 'under_review',
    sequence: 6,
    links: { permit: `/v1/permits/${PERMIT_EXAMPLE}`, events: `/v1/permits/${PERMIT_EXAMPLE}/events` },
  },
  occurredAt: '2026-12-02T03:15:00.000Z',
  read: false,
}

export const NotificationSchema = Type.Object(
  {
    id: Type.String({ pattern: NOTIFICATION_ID_PATTERN, description: 'Increasing with time: the stream\'s event id (`Last-Event-ID`).', examples: ['1842'] }),
    type: Type.Unsafe<string>({ type: 'string', enum: [...NOTIFICATION_TYPES], description: 'The event type: the catalogue webhooks carry, and `registration.approved` (the organisation\'s first notification).' }),
    title: Type.String({ description: 'Short text in the reader\'s language.' }),
    body: Type.String({ description: 'What happened and what follows, in the reader\'s language.' }),
    subject: Type.Object(
      {
        type: Type.Union([Type.Literal('permit'), Type.Literal('registration'), Type.Literal('webhook'), Type.Literal('compliance')]),
        id: Type.String({ description: 'The permit id, registration tracking number, webhook id, or (compliance) the obligation or sanction id.' }),
        url: Type.Union([Type.String(), Type.Null()], { description: 'Where to read the subject in this API (path); null when it has no resource.' }),
      },
      { additionalProperties: false },
    ),
    data: Type.Object({}, { additionalProperties: true, description: 'The event\'s payload as webhooks carry it in `data` (ids, statuses, reasons, links; never personal data).' }),
    occurredAt: Type.String({ format: 'date-time', description: 'When the event happened.' }),
    read: Type.Boolean({ description: 'Whether this user has read it (single read, or read all).' }),
  },
  { $id: 'Notification', additionalProperties: false, examples: [NOTIFICATION_EXAMPLE] },
)

export const NotificationPageSchema = Type.Object(
  {
    items: Type.Array(Type.Ref('Notification')),
    next: Type.Union([Type.String({ description: 'URL of the next page (path and query).' }), Type.Null()], { description: 'Null on the last page.' }),
    unreadCount: Type.Integer({ minimum: 0, description: 'The user\'s unread notifications (all of them, not only this page\'s).' }),
  },
  {
    $id: 'NotificationPage',
    additionalProperties: false,
    description: 'A page of notifications, newest first, with the unread count.',
    examples: [{ items: [NOTIFICATION_EXAMPLE], next: '/v1/notifications?limit=20&cursor=1842', unreadCount: 3 }],
  },
)

export const NotificationReadStateSchema = Type.Object(
  { unreadCount: Type.Integer({ minimum: 0, description: 'The user\'s unread notifications after this change.' }) },
  { $id: 'NotificationReadState', additionalProperties: false, examples: [{ unreadCount: 2 }] },
)

export const NotificationListQuerySchema = Type.Object(
  {
    limit: PageQuerySchema.limit,
    cursor: Type.Optional(Type.String({ maxLength: 18, pattern: NOTIFICATION_ID_PATTERN, description: 'From the previous page\'s `next`.' })),
    unread: Type.Optional(Type.Boolean({ description: '`true`: only the notifications this user has not read.' })),
  },
  { additionalProperties: false },
)
export type NotificationListQuery = Static<typeof NotificationListQuerySchema>

export const NotificationIdParamsSchema = Type.Object(
  { id: Type.String({ maxLength: 18, pattern: NOTIFICATION_ID_PATTERN, description: 'The notification id.' }) },
  { additionalProperties: false },
)
export type NotificationIdParams = Static<typeof NotificationIdParamsSchema>

export const NotificationStreamHeadersSchema = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({
      maxLength: 18,
      pattern: NOTIFICATION_ID_PATTERN,
      description: 'The id of the last event received (browsers send it when EventSource reconnects): what arrived after it is sent first.',
    }),
  ),
})
