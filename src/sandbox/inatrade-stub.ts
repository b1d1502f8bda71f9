/**
 * Stub of INATRADE (the Ministry of Trade's licensing system): takes permit applications and
 * realisation reports from the gateway idempotently, runs each application through a scripted
 * timetable and calls the gateway back at every step. With `sso`, it also serves SSO Kemendag,
 * the ministry's login (an OpenID Connect provider under `/sso`, see idp-provider.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TSchema } from 'typebox'
import { misbehave } from './behaviour.ts'
import { CONTROL_PREFIX } from './control-api.ts'
import { bodyHash, IdempotencyStore } from './idempotency.ts'
import type { KemendagAccount } from './idp-accounts.ts'
import { mountIdp } from './idp-mount.ts'
import type { SandboxIdp } from './idp-provider.ts'
import { ApplicationDesk, applicationView, formatNumber, Sequence } from './inatrade-applications.ts'
import { CallbackSender, DEFAULT_CALLBACK_SECRET } from './inatrade-callbacks.ts'
import { ApplicationBodySchema, RealisationReportBodySchema, type ApplicationBody, type RealisationReportBody } from './inatrade-schemas.ts'
import { schemaProblems } from './schema-problems.ts'
import { createStubApp, type StubOptions } from './stub-app.ts'

export interface InatradeStubOptions extends StubOptions {
  /** HMAC key for `x-inatrade-signature`; must equal the gateway's INATRADE_CALLBACK_SECRET. */
  callbackSecret?: string
  /** Callback retries after the first attempt. Default 3. */
  callbackRetries?: number
  /** The SSO Kemendag identity provider to serve under `/sso`; without it `/sso` is a 404. */
  sso?: SandboxIdp<KemendagAccount>
}

const APPLICATIONS = '/inatrade/v1/applications'
const REALISATION_REPORTS = '/inatrade/v1/realisation-reports'
/** The 400 `error` code per endpoint, whether the framework (bad JSON) or the schema refuses the body. */
const INVALID_BODY_CODES = { [APPLICATIONS]: 'INVALID_APPLICATION', [REALISATION_REPORTS]: 'INVALID_REALISATION_REPORT' }

interface IdempotentRoute<TBody, TResponse> {
  path: typeof APPLICATIONS | typeof REALISATION_REPORTS
  schema: TSchema
  store: IdempotencyStore<TResponse>
  create: (body: TBody) => TResponse
}

export async function buildInatradeStub(options: InatradeStubOptions): Promise<FastifyInstance> {
  const { app, identities, scheduler, attempts, onReset } = createStubApp({
    ...options,
    upstream: 'inatrade',
    invalidBodyCodes: INVALID_BODY_CODES,
  })
  const callbacks = new CallbackSender({
    secret: options.callbackSecret ?? DEFAULT_CALLBACK_SECRET,
    scheduler,
    logger: app.log,
    retries: options.callbackRetries,
  })
  const desk = new ApplicationDesk({ scheduler, callbacks, licences: new Sequence() })
  const receipts = new Sequence()
  const applicationKeys = new IdempotencyStore<Record<string, unknown>>()
  const reportKeys = new IdempotencyStore<Record<string, unknown>>()
  onReset(() => {
    desk.clear()
    callbacks.clear()
    applicationKeys.clear()
    reportKeys.clear()
    options.sso?.forgetSessions()
  })
  if (options.sso) mountIdp(app, options.sso)
  app.addHook('onClose', async () => callbacks.close())

  /** The INATRADE section of the identity owning `nib`, which scripts how INATRADE behaves. */
  const behaviourOf = (nib: unknown) => (typeof nib === 'string' ? identities.byNib(nib)?.inatrade : undefined)

  async function idempotentPost<TBody, TResponse>(request: FastifyRequest, reply: FastifyReply, route: IdempotentRoute<TBody, TResponse>): Promise<FastifyReply> {
    const body = request.body as Record<string, unknown> | undefined
    const rawKey = request.headers['idempotency-key']
    const key = (Array.isArray(rawKey) ? rawKey[0] : rawKey)?.trim() || undefined
    // Misbehaviour first: a down INATRADE does not even get as far as checking the key.
    if (await misbehave(request, reply, {
      behaviour: behaviourOf(body?.nib), scheduler, attempts, upstreamName: 'INATRADE',
      attemptKey: key === undefined ? undefined : `${route.path} ${key}`,
    })) return reply
    if (key === undefined) {
      return reply.code(400).send({ error: 'MISSING_IDEMPOTENCY_KEY', message: 'the Idempotency-Key header is required' })
    }
    if (key.length > 255) {
      return reply.code(400).send({ error: 'MISSING_IDEMPOTENCY_KEY', message: 'the Idempotency-Key header must be at most 255 characters' })
    }
    const problems = schemaProblems(route.schema, body)
    if (problems.length > 0) {
      return reply.code(400).send({ error: INVALID_BODY_CODES[route.path], message: problems.join('; '), problems })
    }
    const hash = bodyHash(body)
    const seen = route.store.lookup(key, hash)
    if (seen.kind === 'conflict') {
      return reply.code(409).send({ error: 'IDEMPOTENCY_KEY_REUSED', message: 'this Idempotency-Key was already used with a different body' })
    }
    if (seen.kind === 'replay') {
      return reply.code(200).header('idempotent-replayed', 'true').send(seen.response)
    }
    // No await between lookup and save: two concurrent first attempts cannot both create.
    const response = route.create(body as TBody)
    route.store.save(key, hash, response)
    return reply.code(202).send(response)
  }

  app.post(APPLICATIONS, (request, reply) => idempotentPost<ApplicationBody, Record<string, unknown>>(request, reply, {
    path: APPLICATIONS,
    schema: ApplicationBodySchema,
    store: applicationKeys,
    create: (body) => {
      const application = desk.receive(body, identities.byNib(body.nib))
      return {
        inatradeId: application.inatradeId,
        referenceNumber: application.referenceNumber,
        status: 'RECEIVED',
        receivedAt: application.history[0]!.at,
      }
    },
  }))

  app.get<{ Params: { inatradeId: string } }>(`${APPLICATIONS}/:inatradeId`, async (request, reply) => {
    const application = desk.get(request.params.inatradeId)
    if (await misbehave(request, reply, {
      behaviour: behaviourOf(application?.nib), scheduler, attempts, upstreamName: 'INATRADE', attemptKey: `GET ${request.url}`,
    })) return reply
    if (!application) {
      return reply.code(404).send({ error: 'APPLICATION_NOT_FOUND', message: `no application ${request.params.inatradeId}` })
    }
    return applicationView(application)
  })

  // Cancel: naturally idempotent (a second cancel answers the same), but the key is still required
  // like on every INATRADE write, and `flaky` counts attempts by it.
  app.post<{ Params: { inatradeId: string } }>(`${APPLICATIONS}/:inatradeId/cancel`, async (request, reply) => {
    const application = desk.get(request.params.inatradeId)
    const rawKey = request.headers['idempotency-key']
    const key = (Array.isArray(rawKey) ? rawKey[0] : rawKey)?.trim() || undefined
    if (await misbehave(request, reply, {
      behaviour: behaviourOf(application?.nib), scheduler, attempts, upstreamName: 'INATRADE',
      attemptKey: key === undefined ? undefined : `cancel ${key}`,
    })) return reply
    if (key === undefined || key.length > 255) {
      return reply.code(400).send({ error: 'MISSING_IDEMPOTENCY_KEY', message: 'the Idempotency-Key header is required (at most 255 characters)' })
    }
    const result = desk.cancel(request.params.inatradeId)
    switch (result.kind) {
      case 'not_found':
        return reply.code(404).send({ error: 'APPLICATION_NOT_FOUND', message: `no application ${request.params.inatradeId}` })
      case 'already_decided':
        return reply.code(409).send({ error: 'ALREADY_DECIDED', message: `the application was already decided (${result.status})`, status: result.status })
      case 'cancelled':
        return reply.code(200).send({ inatradeId: result.application.inatradeId, status: 'CANCELLED', cancelledAt: result.application.history.at(-1)!.at })
    }
  })

  app.post(REALISATION_REPORTS, (request, reply) => idempotentPost<RealisationReportBody, Record<string, unknown>>(request, reply, {
    path: REALISATION_REPORTS,
    schema: RealisationReportBodySchema,
    store: reportKeys,
    create: () => {
      const receivedAt = new Date()
      return { receiptNumber: formatNumber('RR.INATRADE', receivedAt.getUTCFullYear(), receipts.next()), receivedAt: receivedAt.toISOString() }
    },
  }))

  app.get(`${CONTROL_PREFIX}/callbacks`, async () => callbacks.deliveries())

  return app
}
