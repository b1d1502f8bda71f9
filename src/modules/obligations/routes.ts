/** `GET /v1/obligations`: the reports an organisation owes (calendar feed: calendar-routes.ts). */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { secured } from '../../plugins/openapi.ts'
import { ObligationListQuerySchema, type ObligationListQuery } from './schemas.ts'
import { listOwnObligations, reportNilMonth } from './service.ts'

const AUTH_PROBLEMS = ['UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN', 'INSUFFICIENT_SCOPE'] as const

export default async function obligationRoutes(app: FastifyInstance): Promise<void> {
  const deps = () => ({ db: app.db, now: () => app.businessClock.now() })

  app.get<{ Querystring: ObligationListQuery }>(
    '/v1/obligations',
    {
      config: { scopes: ['reports:read'] },
      schema: {
        operationId: 'listObligations',
        summary: 'Reports you owe, and by when',
        description:
          'Every realisation report your organisation owes for its issued licences, earliest deadline first: the period, the deadline (Asia/Jakarta; a 15th or month end on a weekend or holiday moves to the next working day, and `movedBecause` says so), the state (`due`, `overdue`, `submitted`, `waived`) and the sanction ladder that applies if it is late, with the day each step would apply. Obligations are created when a licence is issued, by the rule of its permit type. Needs View on Pelaporan Realisasi (machine clients: `reports:read`).',
        tags: ['Realisation reports'],
        security: secured('reports:read'),
        querystring: ObligationListQuerySchema,
        response: { 200: Type.Ref('ObligationPage'), ...problemResponses(...AUTH_PROBLEMS, 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => listOwnObligations(deps(), requirePrincipal(request), request.query, request.url),
  )

  app.post<{ Params: { obligationId: string } }>(
    '/v1/obligations/:obligationId/nil-report',
    {
      config: { scopes: ['reports:write'] },
      schema: {
        operationId: 'reportNilSurveyorMonth',
        summary: 'A surveyor\'s month without verifications',
        description:
          'For a `surveyor_report` obligation: no shipment under the permit was verified in the month, so there is nothing to push; this says so and meets the obligation (a verification pushed with `POST /v1/surveyor-reports` meets its month by itself). Other kinds report a nil period with an empty realisation report. Needs Create on Pelaporan Realisasi (`reports:write`); another organisation\'s obligation is `404`, one already met or waived `409`.',
        tags: ['Realisation reports'],
        security: secured('reports:write'),
        params: Type.Object({ obligationId: Type.String({ format: 'uuid', maxLength: 36 }) }, { additionalProperties: false }),
        response: { 200: Type.Ref('Obligation'), ...problemResponses(...AUTH_PROBLEMS, 'NOT_FOUND', 'CONFLICT', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => reportNilMonth(deps(), requirePrincipal(request), request.params.obligationId),
  )
}
