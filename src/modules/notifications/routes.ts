/**
 * The notification feed and its live stream, for people of an organisation (machine clients get
 * a 403 pointing to webhooks). Register after the notifications plugin (its hub wakes streams).
 */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { NotificationStreamSettings } from '../../config.ts'
import { requestedLanguage } from '../../errors/language.ts'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { SECURED } from '../../plugins/openapi.ts'
import { notificationReader } from './reader.ts'
import {
  NotificationIdParamsSchema,
  NotificationListQuerySchema,
  NotificationStreamHeadersSchema,
  type NotificationIdParams,
  type NotificationListQuery,
} from './schemas.ts'
import { listFeed, readAll, readOne } from './service.ts'
import { openNotificationStream, type NotificationStream, type StreamSettings } from './stream.ts'

const AUTH_PROBLEMS = ['UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN'] as const
const WHO =
  'For people of an organisation: the notifications of the menus they hold View on (a super admin: every menu the organisation has), and those of no menu. A machine client gets `403 FORBIDDEN`: systems receive the same events by webhook (`/v1/orgs/{orgId}/webhooks`).'
const LANGUAGE = 'Texts are in the language `Accept-Language` asks for (`id` or `en`), else in the user\'s own (their account setting, Indonesian by default).'

export const STREAM_RETRY_MS = 5_000
export const STREAM_BACKLOG = 100
export const STREAM_RECHECK_MS = 30_000

const SSE_EXAMPLE = 'retry: 5000\n\nid: 1842\nevent: notification\ndata: {"id":"1842","type":"permit.approved","title":"Permohonan PRM-2026-K7Q2M4XN3P disetujui",...,"read":false}\n\n: heartbeat\n\n'

export interface NotificationRoutesOptions {
  stream: NotificationStreamSettings
}

export default async function notificationRoutes(app: FastifyInstance, options: NotificationRoutesOptions): Promise<void> {
  const settings: StreamSettings = { ...options.stream, retryMs: STREAM_RETRY_MS, backlog: STREAM_BACKLOG, recheckMs: STREAM_RECHECK_MS }
  const open = new Set<NotificationStream>()
  // Before the server stops taking connections: open streams end, so close() waits for nothing.
  app.addHook('preClose', async () => {
    for (const stream of open) stream.end()
  })

  app.get<{ Querystring: NotificationListQuery }>(
    '/v1/notifications',
    {
      schema: {
        operationId: 'listNotifications',
        summary: 'Your notifications, newest first',
        description: `What happened to your organisation's applications (and, later, registrations and reports): one notification per event, newest first, with keyset paging (\`limit\`, \`cursor\` from \`next\`), \`unread=true\` for the unread ones only, and \`unreadCount\` (all unread, not only this page's). ${WHO} ${LANGUAGE}`,
        tags: ['Notifications'],
        security: SECURED,
        querystring: NotificationListQuerySchema,
        response: { 200: Type.Ref('NotificationPage'), ...problemResponses(...AUTH_PROBLEMS, 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request, reply) => {
      const { language, body } = await listFeed(app.db, requirePrincipal(request), request.query, request.url, requestedLanguage(request.headers['accept-language']))
      reply.header('content-language', language).header('vary', 'Accept-Language')
      return body
    },
  )

  app.post<{ Params: NotificationIdParams }>(
    '/v1/notifications/:id/read',
    {
      schema: {
        operationId: 'readNotification',
        summary: 'Mark one notification read',
        description: `Marks the notification read for you (not for the other members); marking it again changes nothing. Answers your unread count. A notification you cannot see is \`404\`. ${WHO}`,
        tags: ['Notifications'],
        security: SECURED,
        params: NotificationIdParamsSchema,
        response: { 200: Type.Ref('NotificationReadState'), ...problemResponses(...AUTH_PROBLEMS, 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => readOne(app.db, requirePrincipal(request), Number(request.params.id)),
  )

  app.post(
    '/v1/notifications/read-all',
    {
      schema: {
        operationId: 'readAllNotifications',
        summary: 'Mark all your notifications read',
        description: `Everything you can see up to the newest notification is read for you; notifications arriving afterwards are unread. Answers your unread count. ${WHO}`,
        tags: ['Notifications'],
        security: SECURED,
        response: { 200: Type.Ref('NotificationReadState'), ...problemResponses(...AUTH_PROBLEMS, ...COMMON_PROBLEMS) },
      },
    },
    async (request) => readAll(app.db, requirePrincipal(request)),
  )

  app.get<{ Headers: { 'last-event-id'?: string } }>(
    '/v1/notifications/stream',
    {
      schema: {
        operationId: 'streamNotifications',
        summary: 'Your notifications, live (Server-Sent Events)',
        description: [
          `The feed's items as they arrive, as \`text/event-stream\`: each is an \`event: notification\` whose \`data\` is a \`Notification\` and whose \`id\` is its id. ${WHO} ${LANGUAGE}`,
          `Send \`Last-Event-ID\` (browsers' EventSource does on reconnect) to get what arrived after that id first (at most ${STREAM_BACKLOG}; when more were missed, an \`event: gap\` says so and the feed has the older ones), then live items. A comment line (\`: heartbeat\`) comes every 15 s; \`retry:\` suggests ${STREAM_RETRY_MS / 1000} s before reconnecting.`,
          'Authorise with `Authorization: Bearer <access token>` like every call (a browser reads the stream with `fetch()` and a streaming body, since EventSource cannot send headers; tokens are never accepted in the URL, where proxies and browser histories keep them). The stream ends when the access token expires: reconnect with a fresh token and `Last-Event-ID`. Counts as one request against your rate limit.',
        ].join('\n\n'),
        tags: ['Notifications'],
        security: SECURED,
        headers: NotificationStreamHeadersSchema,
        response: {
          200: {
            description: 'The event stream; it stays open.',
            content: { 'text/event-stream': { schema: { type: 'string', examples: [SSE_EXAMPLE] } } },
          },
          ...problemResponses(...AUTH_PROBLEMS, 'VALIDATION_FAILED', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request)
      const reader = await notificationReader(app.db, principal)
      const requested = requestedLanguage(request.headers['accept-language'])
      const lastEventId = request.headers['last-event-id']
      const stream = await openNotificationStream(
        { db: app.db, hub: app.notifications, log: request.log },
        { principal, reader, requested, lastEventId: lastEventId === undefined ? undefined : Number(lastEventId), expiresAt: principal.expiresAt === undefined ? undefined : principal.expiresAt * 1000 },
        settings,
      )
      open.add(stream)
      stream.body.once('close', () => open.delete(stream))
      // The server's idle-socket timeout must not cut a stream between heartbeats.
      const socket = request.raw.socket
      if (socket.timeout !== undefined && socket.timeout > 0 && socket.timeout < settings.heartbeatMs * 3) socket.setTimeout(settings.heartbeatMs * 3)
      reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        // no-transform: no proxy may compress or rewrite (and so buffer) it; X-Accel-Buffering: nginx passes it through at once.
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no')
        .header('content-language', requested ?? reader.language)
      return reply.send(stream.body)
    },
  )
}
