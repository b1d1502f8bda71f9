/**
 * Health for load balancers: `live` says the process answers; `ready` says it can serve, which
 * needs the database, an event loop that is not stalling and no shutdown under way
 * (src/plugins/load-shedding.ts). Upstream circuits are reported but do not fail readiness: the gateway still
 * accepts work for them (it is queued), so taking the instance out of rotation would not help.
 */
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { Type } from 'typebox'
import { problemResponses } from '../../errors/problem-schema.ts'
import type { Readiness } from './schemas.ts'

const DATABASE_CHECK_TIMEOUT_MS = 2000

export default async function healthRoutes(app: FastifyInstance): Promise<void> {

  app.get(
    '/health/live',
    {
      schema: {
        operationId: 'getLiveness',
        summary: 'Liveness: the process is up',
        tags: ['Health'],
        security: [],
        response: { 200: Type.Ref('Liveness'), ...problemResponses('BAD_REQUEST', 'INTERNAL_ERROR') },
      },
      // Load balancers probe as often as they like: health is never rate-limited.
      config: { rateLimit: false },
    },
    async () => ({ status: 'ok' as const, uptimeSeconds: Math.round(process.uptime() * 10) / 10 }),
  )

  app.get(
    '/health/ready',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'Readiness: database reachable, upstream circuits reported',
        tags: ['Health'],
        security: [],
        response: {
          200: Type.Ref('Readiness', { description: 'Ready (or degraded: an upstream circuit is not closed).' }),
          503: Type.Ref('Readiness', { description: 'Not ready: the database is unreachable, the instance is overloaded or it is shutting down (`status` says which).' }),
          ...problemResponses('BAD_REQUEST', 'INTERNAL_ERROR'),
        },
      },
      config: { rateLimit: false },
    },
    async (_request, reply) => {
      const started = performance.now()
      const databaseUp = await Promise.race([
        sql`select 1`.execute(app.db).then(() => true, () => false),
        new Promise<boolean>((resolve) => setTimeout(resolve, DATABASE_CHECK_TIMEOUT_MS, false).unref()),
      ])
      const upstreams = app.upstreams.breakerStates()
      const anyOpen = Object.values(upstreams).some((state) => state !== 'closed')
      const notReady = !databaseUp ? 'unavailable' : app.draining() ? 'draining' : app.overloaded() ? 'overloaded' : undefined
      const body: Readiness = {
        status: notReady ?? (anyOpen ? 'degraded' : 'ready'),
        database: { status: databaseUp ? 'up' : 'down', latencyMs: Math.round((performance.now() - started) * 10) / 10 },
        upstreams,
      }
      return reply.code(notReady ? 503 : 200).send(body)
    },
  )
}
