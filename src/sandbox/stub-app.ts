/**
 * What the three stubs have in common: a Fastify instance that echoes `x-request-id`, journals
 * every upstream request, answers errors as `{ error, message }`, mounts the control API, and
 * cancels its timers on close. Each stub adds only its own routes.
 */
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import { AttemptCounter, takeLostAnswer } from './behaviour.ts'
import { registerControlApi, CONTROL_PREFIX } from './control-api.ts'
import type { IdentityStore } from './fixtures.ts'
import { Journal, type JournalEntry } from './journal.ts'
import { Scheduler } from './scheduler.ts'

/** The options every `buildXxxStub` takes. */
export interface StubOptions {
  identities: IdentityStore
  /** Fastify `logger` option (boolean or pino options) or a ready logger instance. Default off. */
  logger?: boolean | object
  /** Multiplies every delay: 0.01 makes a 3 s step last 30 ms. Default 1. */
  timeScale?: number
  /** How many requests the journal keeps (the oldest dropped first). Default JOURNAL_LIMIT (1,000). */
  journalLimit?: number
}

export interface StubKit {
  app: FastifyInstance
  journal: Journal
  scheduler: Scheduler
  attempts: AttemptCounter
  identities: IdentityStore
  /** Registers more state to forget on `POST /__sandbox/reset`. */
  onReset: (forget: () => void) => void
}

export interface CreateStubAppOptions extends StubOptions {
  upstream: 'oss' | 'djp' | 'inatrade'
  /** The `error` code for a 4xx the framework raises (bad JSON, wrong content type), by route URL. */
  invalidBodyCodes?: Record<string, string>
}

function isLoggerInstance(value: unknown): value is FastifyBaseLogger {
  return typeof value === 'object' && value !== null &&
    typeof (value as FastifyBaseLogger).child === 'function' && typeof (value as FastifyBaseLogger).info === 'function'
}

function loggerSettings(logger: boolean | object | undefined, upstream: string): FastifyServerOptions {
  // The gateway hands its own pino logger over; Fastify 5 only takes that as `loggerInstance`.
  if (isLoggerInstance(logger)) return { loggerInstance: logger.child({ sandbox: upstream }) }
  return { logger: (logger ?? false) as FastifyServerOptions['logger'] }
}

export function createStubApp(options: CreateStubAppOptions): StubKit {
  const app = Fastify({
    ...loggerSettings(options.logger, options.upstream),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
  }) as unknown as FastifyInstance
  const resetHooks: Array<() => void> = []
  const kit: StubKit = {
    app,
    journal: new Journal(options.journalLimit),
    scheduler: new Scheduler(options.timeScale ?? 1),
    attempts: new AttemptCounter(),
    identities: options.identities,
    onReset: (forget) => resetHooks.push(forget),
  }
  const entries = new WeakMap<FastifyRequest, JournalEntry>()
  const invalidBodyCodes: Record<string, string> = { ...options.invalidBodyCodes }

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
    // The control API is the tester talking to the stub, not the gateway: keep it out of the journal.
    if (request.url.startsWith(CONTROL_PREFIX)) return
    entries.set(request, kit.journal.record({ method: request.method, url: request.url, headers: { ...request.headers } }))
  })
  app.addHook('preValidation', async (request) => {
    const entry = entries.get(request)
    if (entry) entry.body = request.body ?? null
  })
  // The status is journalled as the stub sends it, not once the client took it: a request the
  // gateway gave up on (timed out) still shows what the stub did with it.
  app.addHook('onSend', async (request, reply, payload) => {
    const entry = entries.get(request)
    if (entry) entry.statusCode = reply.statusCode
    // `unreliable`: the work is done (journalled as such), the caller sees a 502 instead.
    if (!takeLostAnswer(request)) return payload
    if (entry) entry.answerLost = true
    reply.code(502).header('content-type', 'application/json; charset=utf-8')
    return JSON.stringify({ error: 'BAD_GATEWAY', message: `the ${options.upstream} answer was lost on the way back (sandbox mode "unreliable"); the work was done` })
  })
  app.addHook('onResponse', async (request, reply) => {
    const entry = entries.get(request)
    if (entry && !entry.answerLost) entry.statusCode = reply.statusCode
  })

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'NOT_FOUND', message: `no sandbox ${options.upstream} route ${request.method} ${request.url.split('?')[0]}` })
  })
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode ?? 500
    if (status >= 500) {
      request.log.error({ err: error }, 'sandbox stub failed')
      return reply.code(500).send({ error: 'INTERNAL_ERROR', message: 'the sandbox stub failed; see its log' })
    }
    const code = invalidBodyCodes[request.routeOptions.url ?? ''] ?? 'BAD_REQUEST'
    return reply.code(status).send({ error: code, message: error.message })
  })

  invalidBodyCodes[`${CONTROL_PREFIX}/identities/:key`] = 'INVALID_IDENTITY'
  registerControlApi(app, {
    journal: kit.journal,
    identities: kit.identities,
    reset: () => {
      kit.scheduler.cancelAll()
      kit.attempts.clear()
      kit.journal.clear()
      kit.identities.reset()
      for (const forget of resetHooks) forget()
    },
  })

  // preClose, not onClose: the server waits for in-flight requests, and a `slow` one must be woken
  // (and a pending callback aborted) before that wait, not after it.
  app.addHook('preClose', async () => {
    kit.scheduler.close()
  })
  return kit
}
