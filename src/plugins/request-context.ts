/**
 * Request ids and the one access-log line per request. Every request gets a fresh UUID from the
 * gateway (request.id: the `X-Request-Id` of the answer, the log's requestId, the audit log's
 * request_id). An incoming `X-Request-Id` that looks like an id is the caller's claim: kept apart
 * as `callerRequestId` (log line, audit events) so a caller can correlate, but never taken as the
 * gateway's id, which a caller could otherwise reuse or collide on purpose.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'
import { accessLogWriter } from '../access-log.ts'
import { maskUrl } from '../logger.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's own X-Request-Id, when it looked like an id; undefined otherwise. */
    callerRequestId: string | undefined
  }
}

const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

export const genReqId: NonNullable<FastifyServerOptions['genReqId']> = () => randomUUID()

export function callerRequestIdOf(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && ACCEPTABLE_REQUEST_ID.test(header) ? header : undefined
}

// The caller's id for the request being handled, so the audit log can record it without every
// service passing it along.
const callerIds = new AsyncLocalStorage<{ callerRequestId: string | undefined }>()

export function currentCallerRequestId(): string | undefined {
  return callerIds.getStore()?.callerRequestId
}

async function requestContextPlugin(app: FastifyInstance): Promise<void> {
  // While shutting down, answers to requests still in flight close their connection: a
  // keep-alive socket that turns idle after close() began would otherwise hold the server open.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.decorateRequest('callerRequestId', undefined)
  app.addHook('onRequest', (request, reply, done) => {
    request.callerRequestId = callerRequestIdOf(request.headers['x-request-id'])
    reply.header('x-request-id', request.id)
    callerIds.run({ callerRequestId: request.callerRequestId }, done)
  })
  // A callback hook: no promise per request for a flag that is false until shutdown.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
  // Allow-listed fields, serialized by hand past the redaction (src/access-log.ts): the line costs
  // ~1 µs instead of ~30. A logger that is not pino's gets the same fields the ordinary way.
  const writeAccessLine = accessLogWriter(app.log as Logger)
  app.addHook('onResponse', (request, reply, done) => {
    const entry = {
      requestId: request.id,
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
      remoteAddress: request.ip,
      callerRequestId: request.callerRequestId,
    }
    if (writeAccessLine) writeAccessLine(entry)
    else request.log.info({ method: entry.method, url: maskUrl(entry.url), statusCode: entry.statusCode, responseTimeMs: entry.responseTimeMs, remoteAddress: entry.remoteAddress, callerRequestId: entry.callerRequestId }, 'request completed')
    done()
  })
}

export default fp(requestContextPlugin, { name: 'request-context', fastify: '5.x' })
