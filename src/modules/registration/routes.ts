/** Public registration: submit (multipart form + power of attorney), track; the document for its readers. */
import multipart from '@fastify/multipart'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { AppError } from '../../errors/app-error.ts'
import { negotiateLanguage } from '../../errors/language.ts'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { SECURED } from '../../plugins/openapi.ts'
import type { RegistrationSubmission } from './schemas.ts'
import { readPowerOfAttorney, registrationNotFound, submitRegistration, trackRegistration } from './service.ts'
import { MAX_DOCUMENT_BYTES, readSubmission, type ParsedSubmission } from './upload.ts'

/** Public tracking budgets per IP: all look-ups, and look-ups of unknown numbers (guessing). */
export const TRACKING_LIMITS = { lookupsPerMinute: 60, unknownPerMinute: 10 }

const trackingParams = Type.Object(
  { trackingNumber: Type.String({ maxLength: 64, description: 'The tracking (service) number from the submission.', examples: ['REG-7KQ2-M4XA-P5RD-3TWE-H6BN'] }) },
  { additionalProperties: false },
)

export default async function registrationRoutes(app: FastifyInstance, options: { trackingLimits?: typeof TRACKING_LIMITS } = {}): Promise<void> {
  const limits = options.trackingLimits ?? TRACKING_LIMITS
  const uploads = new WeakMap<FastifyRequest, ParsedSubmission['upload']>()

  // Multipart only here: every other route keeps refusing it with 415.
  await app.register(async (scope) => {
    await scope.register(multipart, { limits: { fileSize: MAX_DOCUMENT_BYTES } })
    scope.post<{ Body: RegistrationSubmission }>(
      '/v1/registrations',
      {
        config: { public: true },
        bodyLimit: MAX_DOCUMENT_BYTES + 128 * 1024,
        // Parsed before validation, so the JSON form is validated by its schema like any body.
        preValidation: async (request) => {
          const parsed = await readSubmission(request)
          uploads.set(request, parsed.upload)
          request.body = (parsed.form === undefined ? {} : { form: parsed.form }) as RegistrationSubmission
        },
        schema: {
          operationId: 'submitRegistration',
          summary: 'Register an organisation for INSW access',
          description: [
            'Multipart: the part `form` is the registration form as JSON, the part `powerOfAttorney` the power of attorney (PDF, at most 1 MB, checked by content).',
            'The checks run in order and each result is returned: `shape` (formats, what the trader type requires) → `oss` (NIB exists; the applicant\'s NIK and name are a person in charge) → `djp` (NPWP valid at KSWP) → `documents` (the upload is optional when OSS and DJP confirmed the data) → `duplicates`.',
            'A failed check answers `422` with one entry per field; nothing is stored, fix and resend. An upstream outage answers `503`/`504` with `Retry-After`.',
            'On success the registration waits for a platform operator; keep the tracking number private: whoever holds it can track the registration.',
            'Sandbox: NIB `8120000000001` with Budi Santoso (NIK `3171000101800001`) passes; `8120000000003` is unknown to OSS; `8120000000004` has an invalid NPWP; `8120000000005` an NPWP unknown to KSWP; `8120000000014` meets a KSWP outage.',
          ].join('\n\n'),
          tags: ['Registration'],
          security: [],
          consumes: ['multipart/form-data'],
          body: Type.Ref('RegistrationSubmission'),
          response: {
            202: Type.Ref('RegistrationReceipt'),
            ...problemResponses(
              'BAD_REQUEST',
              'MALFORMED_JSON',
              'CONFLICT',
              'PAYLOAD_TOO_LARGE',
              'UNSUPPORTED_MEDIA_TYPE',
              'VALIDATION_FAILED',
              'UPSTREAM_BAD_RESPONSE',
              'UPSTREAM_UNAVAILABLE',
              'UPSTREAM_TIMEOUT',
              ...COMMON_PROBLEMS,
            ),
          },
        },
      },
      async (request, reply) => {
        const receipt = await submitRegistration(
          { db: app.db, upstreams: app.upstreams },
          {
            form: request.body.form,
            upload: uploads.get(request),
            language: negotiateLanguage(request.headers['accept-language']),
            upstreamContext: { requestId: request.id, traceparent: request.headers.traceparent as string | undefined },
          },
        )
        return reply.code(202).header('location', receipt.statusUrl).send(receipt)
      },
    )
  })

  const lookupBudget = app.createRateLimit({ max: limits.lookupsPerMinute, timeWindow: 60_000, keyGenerator: (r) => `registration-lookup:${r.ip}` })
  const unknownBudget = app.createRateLimit({ max: limits.unknownPerMinute, timeWindow: 60_000, keyGenerator: (r) => `registration-unknown:${r.ip}` })
  const spend = async (budget: typeof lookupBudget, request: FastifyRequest) => {
    const result = await budget(request)
    if (!result.isAllowed && result.isExceeded) {
      throw new AppError('RATE_LIMITED', {
        detail: { en: 'Too many tracking look-ups; wait a minute.', id: 'Terlalu banyak pencarian nomor pelacakan; tunggu satu menit.' },
        retryAfter: result.ttlInSeconds,
      })
    }
  }

  app.get<{ Params: { trackingNumber: string } }>(
    '/v1/registrations/:trackingNumber',
    {
      config: { public: true },
      schema: {
        operationId: 'trackRegistration',
        summary: 'Track a registration by its tracking number',
        description: `Public: status and check results, no personal data. Look-ups are limited per IP address (${TRACKING_LIMITS.lookupsPerMinute} a minute, of which ${TRACKING_LIMITS.unknownPerMinute} for unknown numbers).`,
        tags: ['Registration'],
        security: [],
        params: trackingParams,
        response: { 200: Type.Ref('RegistrationTracking'), ...problemResponses('NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => {
      await spend(lookupBudget, request)
      const tracking = await trackRegistration(app.db, request.params.trackingNumber, negotiateLanguage(request.headers['accept-language']))
      if (!tracking) {
        await spend(unknownBudget, request)
        throw registrationNotFound()
      }
      return tracking
    },
  )

  app.get<{ Params: { trackingNumber: string } }>(
    '/v1/registrations/:trackingNumber/power-of-attorney',
    {
      schema: {
        operationId: 'getRegistrationPowerOfAttorney',
        summary: 'Download the power of attorney of a registration',
        description:
          'Only for platform operators and the super admin of the organisation the registration created; anyone else gets `404`. Served as an attachment, never rendered inline.',
        tags: ['Registration'],
        security: SECURED,
        params: trackingParams,
        response: {
          200: { description: 'The PDF as uploaded.', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } },
          ...problemResponses('UNAUTHENTICATED', 'INVALID_TOKEN', 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request, reply) => {
      const document = await readPowerOfAttorney(app.db, requirePrincipal(request), request.params.trackingNumber)
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', `attachment; filename="power-of-attorney-${document.trackingNumber}.pdf"`)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "sandbox; default-src 'none'")
        .header('cache-control', 'private, no-store')
        .header('digest', `sha-256=${Buffer.from(document.sha256, 'hex').toString('base64')}`)
        .send(document.content)
    },
  )
}
