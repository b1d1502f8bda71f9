/**
 * The obligations calendar feed: `POST|GET|DELETE /v1/me/calendar-feed` (a person's secret feed
 * address) and `GET /v1/obligations.ics?token=…` (public: calendar apps send no bearer token).
 * The token in the query string is never logged: the access log masks `token=` (src/logger.ts).
 */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../../config.ts'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { secured } from '../../plugins/openapi.ts'
import { FEED_PATH, calendarFeedStatus, createCalendarFeed, renderCalendarFeed, revokeCalendarFeed, type CalendarDeps } from './calendar-service.ts'
import { ObligationsFeedQuerySchema, type ObligationsFeedQuery } from './schemas.ts'

const AUTH_PROBLEMS = ['UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN', 'INSUFFICIENT_SCOPE'] as const
const TAGS = ['Realisation reports']
const CACHE_CONTROL = 'private, max-age=300'

const ICS_EXAMPLE = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//INSW//insw-gateway//EN',
  'METHOD:PUBLISH',
  'NAME:Realisation reports · PT Sandbox Importir Baja',
  'X-WR-CALNAME:Realisation reports · PT Sandbox Importir Baja',
  'BEGIN:VTIMEZONE',
  'TZID:Asia/Jakarta',
  '…',
  'END:VTIMEZONE',
  'X-WR-TIMEZONE:Asia/Jakarta',
  'BEGIN:VEVENT',
  'UID:0f4c2b8e-6d1a-4e3b-9c7d-5a6b7c8d9e0f@insw-gateway',
  'DTSTART;VALUE=DATE:20261116',
  'SUMMARY:Realisation report due: PRM-2026-CFRJIYJQ6F 2026-10',
  'DESCRIPTION:Permit PRM-2026-CFRJIYJQ6F: the realisation report for 2026-10 …',
  'BEGIN:VALARM',
  'ACTION:DISPLAY',
  'TRIGGER:-P2DT15H',
  'END:VALARM',
  'END:VEVENT',
  'END:VCALENDAR',
].join('\r\n')

export default async function calendarRoutes(app: FastifyInstance, options: { config: Config }): Promise<void> {
  const deps = (): CalendarDeps => ({ db: app.db, now: () => app.businessClock.now(), publicUrl: options.config.publicUrl, reminderDays: options.config.obligations.reminderDays })
  const personOnly = 'For people only (a machine client gets `403`: it reads `GET /v1/obligations`).'

  app.post(
    '/v1/me/calendar-feed',
    {
      config: { scopes: ['reports:read'] },
      schema: {
        operationId: 'createCalendarFeed',
        summary: 'Create (or replace) your calendar feed address for the reports you owe',
        description: `A secret address of your organisation's reporting deadlines as an iCalendar feed (\`GET ${FEED_PATH}\`), for calendar apps, which cannot send a bearer token. The address is in this answer only (the gateway keeps a digest of it); creating another revokes the previous one. Needs View on Pelaporan Realisasi. ${personOnly}`,
        tags: TAGS,
        security: secured('reports:read'),
        response: { 201: Type.Ref('CalendarFeed'), ...problemResponses(...AUTH_PROBLEMS, ...COMMON_PROBLEMS) },
      },
    },
    async (request, reply) => reply.code(201).send(await createCalendarFeed(deps(), requirePrincipal(request))),
  )

  app.get(
    '/v1/me/calendar-feed',
    {
      config: { scopes: ['reports:read'] },
      schema: {
        operationId: 'getCalendarFeed',
        summary: 'Whether you have a calendar feed address',
        description: `Never the address itself: it was shown once, when it was created. ${personOnly}`,
        tags: TAGS,
        security: secured('reports:read'),
        response: { 200: Type.Ref('CalendarFeedStatus'), ...problemResponses(...AUTH_PROBLEMS, ...COMMON_PROBLEMS) },
      },
    },
    async (request) => calendarFeedStatus(deps(), requirePrincipal(request)),
  )

  app.delete(
    '/v1/me/calendar-feed',
    {
      config: { scopes: ['reports:read'] },
      schema: {
        operationId: 'revokeCalendarFeed',
        summary: 'Revoke your calendar feed address',
        description: `The address stops working at once (\`401 INVALID_FEED_TOKEN\`). \`404\` when you have none. ${personOnly}`,
        tags: TAGS,
        security: secured('reports:read'),
        response: { 204: Type.Null({ description: 'Revoked.' }), ...problemResponses(...AUTH_PROBLEMS, 'NOT_FOUND', ...COMMON_PROBLEMS) },
      },
    },
    async (request, reply) => {
      await revokeCalendarFeed(deps(), requirePrincipal(request))
      return reply.code(204).send()
    },
  )

  app.get<{ Querystring: ObligationsFeedQuery }>(
    FEED_PATH,
    {
      config: { public: true },
      schema: {
        operationId: 'getObligationsCalendar',
        summary: 'Your organisation\'s reporting deadlines as an iCalendar feed',
        description: [
          'Subscribe to the address from `POST /v1/me/calendar-feed` (the `token` is its secret; no bearer token). One all-day event per realisation report owed, on its due date (Asia/Jakarta), `UID` `<obligation id>@insw-gateway`: due and overdue ones with a display alarm `OBLIGATION_REMINDER_DAYS` (default 3) days before at 09:00, submitted ones (deadline within the last year) marked in the summary, without an alarm; waived ones are left out. The description gives the period, the rule, the nominal date and why it moved, and where to submit.',
          'Each read checks the address\'s owner as a bearer request would: a revoked or unknown address, or a disabled user, is `401 INVALID_FEED_TOKEN`; an owner who lost View on Pelaporan Realisasi gets `403`. `Cache-Control: private, max-age=300`.',
        ].join('\n\n'),
        tags: TAGS,
        security: [],
        querystring: ObligationsFeedQuerySchema,
        response: {
          200: {
            description: 'The calendar (RFC 5545).',
            headers: { 'Cache-Control': { type: 'string', description: '`private, max-age=300`.' } },
            content: { 'text/calendar': { schema: { type: 'string', examples: [ICS_EXAMPLE] } } },
          },
          ...problemResponses('INVALID_FEED_TOKEN', 'FORBIDDEN', 'VALIDATION_FAILED', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request, reply) => {
      const body = await renderCalendarFeed(deps(), request.query.token)
      return reply.header('content-type', 'text/calendar; charset=utf-8').header('cache-control', CACHE_CONTROL).send(body)
    },
  )
}
