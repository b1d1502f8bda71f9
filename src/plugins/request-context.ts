/**
 * Request ids and the one access-log line per request. An incoming `X-Request-Id` is honoured
 * when it looks like an id (so a caller's trace spans systems); anything else gets a fresh UUID.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'
import { accessLogWriter } from '../access-log.ts'
import { maskUrl } from '../logger.ts'

const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

export const genReqId: NonNullable<FastifyServerOptions['genReqId']> = (req) => {
  const incoming = req.headers['x-request-id']
  return typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID()
}

async function requestContextPlugin(app: FastifyInstance): Promise<void> {
  // While shutting down, answers to requests still in flight close their connection: a
  // keep-alive socket that turns idle after close() began would otherwise hold the server open.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
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
    }
    if (writeAccessLine) writeAccessLine(entry)
    else request.log.info({ method: entry.method, url: maskUrl(entry.url), statusCode: entry.statusCode, responseTimeMs: entry.responseTimeMs, remoteAddress: entry.remoteAddress }, 'request completed')
    done()
  })
}

export default fp(requestContextPlugin, { name: 'request-context', fastify: '5.x' })
