/**
 * POST /v1/callbacks/inatrade: INATRADE's status callbacks. No user token: the caller proves it is
 * INATRADE with an HMAC of the RAW body bytes (INATRADE_CALLBACK_SECRET). Re-serialised JSON
 * would not match, so this plugin (encapsulated: other routes keep the app's JSON parser) parses
 * `application/json` itself: it keeps the bytes, checks the signature, and only then parses.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../../errors/app-error.ts'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { jsonComplexityProblem, tooComplex } from '../../http/json-body.ts'
import { verifyCallbackSignature } from '../../upstreams/index.ts'
import { handleInatradeCallback } from './callbacks.ts'
import type { LicenceOptions } from './document.ts'
import { InatradeCallbackHeadersSchema, type InatradeCallback } from './inatrade-schemas.ts'

export interface CallbackRoutesOptions {
  secret: string
  licence: LicenceOptions
}

/** A callback is a few hundred bytes; this leaves room and bounds what an unsigned sender can make us hash. */
export const CALLBACK_BODY_LIMIT = 16 * 1024

function badSignature(): AppError {
  return new AppError('UNAUTHENTICATED', {
    detail: {
      en: 'The x-inatrade-signature header is missing or does not match the body (HMAC-SHA256 with the shared callback secret).',
      id: 'Header x-inatrade-signature tidak ada atau tidak cocok dengan isi permintaan (HMAC-SHA256 dengan rahasia bersama).',
    },
  })
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}

export default async function inatradeCallbackRoutes(app: FastifyInstance, options: CallbackRoutesOptions): Promise<void> {
  if (!options.secret) throw new Error('INATRADE callbacks need a secret')
  const verified = new WeakSet<FastifyRequest>()
  const parseJson = app.getDefaultJsonParser('error', 'error')

  // Scoped to this plugin: Fastify gives each encapsulated context its own copy of the parsers.
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: CALLBACK_BODY_LIMIT }, (request, body, done) => {
    const raw = body as Buffer
    if (!verifyCallbackSignature(raw, header(request, 'x-inatrade-signature'), options.secret)) {
      done(badSignature(), undefined)
      return
    }
    verified.add(request)
    const text = raw.toString('utf8')
    const problem = jsonComplexityProblem(text)
    if (problem) {
      done(tooComplex(problem), undefined)
      return
    }
    parseJson(request, text, done)
  })
  // No body (or no JSON content type) never reached the parser: still unsigned, so 401 before validation.
  app.addHook('preValidation', async (request) => {
    if (!verified.has(request)) throw badSignature()
  })

  app.post<{ Body: InatradeCallback; Headers: { 'x-inatrade-delivery': string } }>(
    '/v1/callbacks/inatrade',
    {
      // INATRADE authenticates by signature, not token; one sender at volume, each request signed:
      // the per-caller API budget would only ever throttle INATRADE itself.
      config: { public: true, rateLimit: false },
      bodyLimit: CALLBACK_BODY_LIMIT,
      schema: {
        operationId: 'receiveInatradeCallback',
        summary: 'Receive an INATRADE status callback',
        description:
          'Called by INATRADE (not by integrators) at every step of a forwarded application. Verified by `x-inatrade-signature` over the raw body (`401` otherwise), de-duplicated by `x-inatrade-delivery` (a repeat answers `200` `duplicate_delivery` and changes nothing), and safe out of order: a status behind the permit\'s is recorded as an event and never moves it back. `APPROVED` stores the licence and issues the licence document in the same step (the permit becomes `issued`); `REJECTED` stores INATRADE\'s reason. `404` when no permit was forwarded under `inatradeId` (INATRADE retries; lost callbacks are caught up by the reconciliation job).',
        tags: ['INATRADE callbacks'],
        security: [],
        headers: InatradeCallbackHeadersSchema,
        body: { $ref: 'InatradeCallback' },
        response: {
          200: { $ref: 'InatradeCallbackAck' },
          ...problemResponses('BAD_REQUEST', 'MALFORMED_JSON', 'UNAUTHENTICATED', 'NOT_FOUND', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request) => {
      const outcome = await handleInatradeCallback(app.db, request.headers['x-inatrade-delivery'], request.body, options.licence)
      if (outcome === 'recorded_late') request.log.info({ inatradeId: request.body.inatradeId, status: request.body.status }, 'INATRADE callback recorded, not applied')
      return { received: true, outcome }
    },
  )
}
