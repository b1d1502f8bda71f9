/**
 * `GET`/`POST /v1/sandbox/clock`: a tester moves the gateway's business time (every instance
 * follows within a second) and the compliance evaluation runs at once at the new time, so
 * obligations fall due and sanctions progress without waiting for the nightly run.
 */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { AppError } from '../../errors/app-error.ts'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { evaluateCompliance } from '../compliance/evaluation.ts'
import type { MoveSandboxClock } from './schemas.ts'

export interface ClockRoutesOptions {
  reminderDays: number
}

function clockView(app: FastifyInstance) {
  return { businessTime: app.businessClock.now().toISOString(), realTime: new Date().toISOString(), offsetMs: app.businessClock.offsetMs() }
}

function targetOffset(body: MoveSandboxClock, current: number): number {
  switch (body.action) {
    case 'reset':
      return 0
    case 'advance':
      return current + ((body.days ?? 0) * 24 * 60 + (body.hours ?? 0) * 60 + (body.minutes ?? 0)) * 60_000
    case 'set': {
      if (!body.to) {
        throw new AppError('VALIDATION_FAILED', { detail: '`set` needs `to`', errors: [{ pointer: '/to', in: 'body', detail: 'required with action set', reason: 'required' }] })
      }
      return Date.parse(body.to) - Date.now()
    }
  }
}

export default async function sandboxClockRoutes(app: FastifyInstance, options: ClockRoutesOptions): Promise<void> {
  app.get(
    '/v1/sandbox/clock',
    {
      config: { public: true },
      schema: {
        operationId: 'getSandboxClock',
        summary: 'The sandbox\'s business time',
        description: 'Business time (deadlines, sanctions) and how far it runs from the real clock.',
        tags: ['Sandbox'],
        security: [],
        response: { 200: Type.Ref('SandboxClock'), ...problemResponses(...COMMON_PROBLEMS) },
      },
    },
    async () => {
      await app.businessClock.refresh()
      return clockView(app)
    },
  )

  app.post<{ Body: MoveSandboxClock }>(
    '/v1/sandbox/clock',
    {
      config: { public: true },
      schema: {
        operationId: 'moveSandboxClock',
        summary: 'Move the sandbox\'s business time',
        description:
          'Advance it (`{"action":"advance","days":46}`), set it (`{"action":"set","to":"2027-01-17T09:00:00+07:00"}`) or reset it to the real clock, then run the compliance evaluation at the new time: obligations fall due, reminders and ladder steps are applied and told (feed and webhooks) at once. Permits\' SLAs, tokens and job retries keep the real clock.',
        tags: ['Sandbox'],
        security: [],
        body: Type.Ref('MoveSandboxClock'),
        response: { 200: Type.Ref('SandboxClock'), ...problemResponses('BAD_REQUEST', 'MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => {
      await app.businessClock.refresh()
      await app.businessClock.setOffset(targetOffset(request.body, app.businessClock.offsetMs()))
      const evaluation = await evaluateCompliance({ db: app.db, jobs: app.jobs }, app.businessClock.now(), options.reminderDays)
      return { ...clockView(app), evaluation }
    },
  )
}
