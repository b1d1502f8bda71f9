/** Operators: list, read, approve and reject registrations. */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../../config.ts'
import { negotiateLanguage } from '../../errors/language.ts'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { PageQuerySchema } from '../../http/pagination.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { secured } from '../../plugins/openapi.ts'
import type { RegistrationStatus } from '../../db/tables/registration.ts'
import type { ApproveRegistration, RejectRegistration } from './schemas.ts'
import { approveRegistration, getRegistration, listRegistrations, rejectRegistration } from './service.ts'

const params = Type.Object(
  { trackingNumber: Type.String({ maxLength: 64, examples: ['REG-7KQ2-M4XA-P5RD-3TWE-H6BN'] }) },
  { additionalProperties: false },
)

const decisionResponse = Type.Object(
  {
    trackingNumber: Type.String(),
    status: Type.Ref('RegistrationStatus'),
    organisation: Type.Optional(Type.Ref('OrganisationSummary')),
    superAdmin: Type.Optional(
      Type.Object({ userId: Type.String({ format: 'uuid' }), username: Type.String({ examples: ['USER.20261122.01.00001'] }), email: Type.String() }, { additionalProperties: false }),
    ),
    reason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)

const operatorProblems = ['UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN', 'INSUFFICIENT_SCOPE'] as const

export default async function operatorRoutes(app: FastifyInstance, options: { config: Config }): Promise<void> {
  const base = options.config.publicUrl
  const links = {
    verifyEmailUrl: (token: string) => `${base}/account/verify-email?token=${encodeURIComponent(token)}`,
    setPasswordUrl: (token: string) => `${base}/account/reset-password?token=${encodeURIComponent(token)}`,
  }

  app.get<{ Querystring: { status?: RegistrationStatus; limit?: number; cursor?: string } }>(
    '/v1/operator/registrations',
    {
      config: { scopes: ['registrations:read'] },
      schema: {
        operationId: 'listOperatorRegistrations',
        summary: 'List registrations (platform operators)',
        description: 'Newest first, filtered by `status`. Only users with the platform operator level.',
        tags: ['Operators'],
        security: secured('registrations:read'),
        querystring: Type.Object({ status: Type.Optional(Type.Ref('RegistrationStatus')), ...PageQuerySchema }, { additionalProperties: false }),
        response: { 200: Type.Ref('OperatorRegistrationPage'), ...problemResponses(...operatorProblems, 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => listRegistrations(app.db, requirePrincipal(request), request.query, request.url),
  )

  app.get<{ Params: { trackingNumber: string } }>(
    '/v1/operator/registrations/:trackingNumber',
    {
      config: { scopes: ['registrations:read'] },
      schema: {
        operationId: 'getOperatorRegistration',
        summary: 'Read a registration with its personal data and document (platform operators)',
        tags: ['Operators'],
        security: secured('registrations:read'),
        params,
        response: { 200: Type.Ref('OperatorRegistration'), ...problemResponses(...operatorProblems, 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => getRegistration(app.db, requirePrincipal(request), request.params.trackingNumber, negotiateLanguage(request.headers['accept-language'])),
  )

  app.post<{ Params: { trackingNumber: string }; Body: ApproveRegistration }>(
    '/v1/operator/registrations/:trackingNumber/approve',
    {
      config: { scopes: ['registrations:write'] },
      schema: {
        operationId: 'approveRegistration',
        summary: 'Approve a registration: create the organisation and mail its super admin',
        description:
          'Creates the organisation (profile from OSS by NIB), its super admin with a generated username (`USER.YYYYMMDD.NN.NNNNN`, status `pending_verification`), and queues the email with the verification and set-password links. Recorded with the operator and time. A registration already decided, or an NIB that already became an organisation, answers `409`.',
        tags: ['Operators'],
        security: secured('registrations:write'),
        params,
        body: Type.Ref('ApproveRegistration'),
        response: {
          200: decisionResponse,
          ...problemResponses(...operatorProblems, 'NOT_FOUND', 'CONFLICT', 'MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED', 'UPSTREAM_BAD_RESPONSE', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request) => {
      return approveRegistration({ db: app.db, upstreams: app.upstreams, links }, requirePrincipal(request), request.params.trackingNumber, request.body?.note)
    },
  )

  app.post<{ Params: { trackingNumber: string }; Body: RejectRegistration }>(
    '/v1/operator/registrations/:trackingNumber/reject',
    {
      config: { scopes: ['registrations:write'] },
      schema: {
        operationId: 'rejectRegistration',
        summary: 'Reject a registration with a reason',
        description: 'The reason is shown on public tracking and mailed to the applicant. Recorded with the operator and time.',
        tags: ['Operators'],
        security: secured('registrations:write'),
        params,
        body: Type.Ref('RejectRegistration'),
        response: {
          200: decisionResponse,
          ...problemResponses(...operatorProblems, 'NOT_FOUND', 'CONFLICT', 'MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request) => {
      return rejectRegistration(app.db, requirePrincipal(request), request.params.trackingNumber, request.body.reason)
    },
  )
}
