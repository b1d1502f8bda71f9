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
import { digitsOf } from './checks/shape.ts'
import type { RegistrationBudgets } from '../../config.ts'

/** Public tracking budgets per IP: all look-ups, and look-ups of unknown numbers (guessing). */
export const TRACKING_LIMITS = { lookupsPerMinute: 60, unknownPerMinute: 10 }

/** Submissions an hour per client IP and per NIB (NPWP without one): REGISTRATION_PER_IP, REGISTRATION_PER_NIB. */
export const SUBMISSION_BUDGETS: RegistrationBudgets = { perIpPerHour: 20, perNibPerHour: 5 }

/**
 * The hook point for a production anti-automation check (a captcha verifier, a proof-of-work
 * stamp): runs on every submission after the body is parsed and before the budgets and the
 * upstream look-ups. Throw an AppError to refuse (e.g. `VALIDATION_FAILED` for a missing or wrong
 * captcha answer). Pass it to buildApp as `registrationGuard`.
 */
export type RegistrationGuard = (request: FastifyRequest<{ Body: RegistrationSubmission }>) => Promise<void> | void

export interface RegistrationRoutesOptions {
  trackingLimits?: typeof TRACKING_LIMITS
  submissionBudgets?: RegistrationBudgets
  guard?: RegistrationGuard
}

/** What a submission is about, for its budget: the NIB, or the NPWP of a registration without one. */
function budgetSubject(form: RegistrationSubmission['form'] | undefined): string | undefined {
  if (!form) return undefined
  if (form.nibKind !== 'none' && form.nib) return `nib:${digitsOf(form.nib)}`
  if (form.npwpKind !== 'none' && form.npwp) return `npwp:${digitsOf(form.npwp)}`
  return undefined
}

const trackingParams = Type.Object(
  { trackingNumber: Type.String({ maxLength: 64, description: 'The tracking (service) number from the submission.', examples: ['REG-7KQ2-M4XA-P5RD-3TWE-H6BN'] }) },
  { additionalProperties: false },
)

export default async function registrationRoutes(app: FastifyInstance, options: RegistrationRoutesOptions = {}): Promise<void> {
  const limits = options.trackingLimits ?? TRACKING_LIMITS
  const budgets = options.submissionBudgets ?? SUBMISSION_BUDGETS
  const uploads = new WeakMap<FastifyRequest, ParsedSubmission['upload']>()
  const perIp = app.createRateLimit({ max: budgets.perIpPerHour, timeWindow: 3_600_000, keyGenerator: (r) => `registration-submit-ip:${r.ip}` })
  const perSubject = app.createRateLimit({
    max: budgets.perNibPerHour,
    timeWindow: 3_600_000,
    keyGenerator: (r) => `registration-submit-nib:${budgetSubject((r.body as RegistrationSubmission | undefined)?.form) ?? ''}`,
  })
  const spendSubmission = async (budget: typeof perIp, request: FastifyRequest, en: string, id: string) => {
    const result = await budget(request)
    if (!result.isAllowed && result.isExceeded) throw new AppError('RATE_LIMITED', { detail: { en, id }, retryAfter: result.ttlInSeconds })
  }

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
        // After validation, before any upstream look-up: the guard, then the budgets.
        preHandler: async (request) => {
          await options.guard?.(request)
          await spendSubmission(perIp, request, 'Too many registrations from this address; try again later.', 'Terlalu banyak pendaftaran dari alamat ini; coba lagi nanti.')
          if (budgetSubject(request.body.form)) {
            await spendSubmission(perSubject, request, 'Too many registrations for this NIB or NPWP; try again later.', 'Terlalu banyak pendaftaran untuk NIB atau NPWP ini; coba lagi nanti.')
          }
        },
        schema: {
          operationId: 'submitRegistration',
          summary: 'Register an organisation for INSW access',
          description: [
            'Multipart: the part `form` is the registration form as JSON, the part `powerOfAttorney` the power of attorney (PDF, at most 1 MB, checked by content).',
            'The checks run in order and each result is returned: `shape` (formats, what the trader type requires) → `oss` (NIB exists; the applicant\'s NIK and name are a person in charge) → `djp` (NPWP valid at KSWP) → `documents` (the upload is optional when OSS and DJP confirmed the data) → `duplicates`.',
            'Answers, in this order: a malformed form (`shape`) is `422 VALIDATION_FAILED` with one entry per field. An upstream outage is `503`/`504` with `Retry-After`. Data that do not match the OSS/DJP records (`oss`, `djp`) are one generic `422 VALIDATION_FAILED` with a single error of reason `records_mismatch`, whatever the mismatch: the precise findings are kept for platform operators (status `refused`) and never told to the caller; `contact.email` gets a reference to quote to the helpdesk. Once the data match, an organisation that already has access or a registration already waiting is `409 CONFLICT` (`already_registered`, `registration_pending`), and a missing power of attorney `422`.',
            `Submissions are limited per IP address (${SUBMISSION_BUDGETS.perIpPerHour} an hour by default, \`REGISTRATION_PER_IP\`) and per NIB, or NPWP without an NIB (${SUBMISSION_BUDGETS.perNibPerHour} an hour, \`REGISTRATION_PER_NIB\`): \`429\` with \`Retry-After\`.`,
            'On success the registration waits for a platform operator; keep the tracking number private: whoever holds it can track the registration.',
            'Sandbox: NIB `8120000000010` with Ahmad Fauzi (NIK `1871001408760010`), the pre-filled example, passes; `8120000000003` (unknown to OSS), `8120000000004` (NPWP invalid at KSWP), `8120000000005` (NPWP unknown to KSWP) or another NIK answer the generic mismatch; `8120000000014` meets a KSWP outage.',
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
