/**
 * Compliance routes (own standing, operators' actions) and the daily evaluation: its job handler
 * and its pg-boss cron (COMPLIANCE_EVALUATION_CRON, 00:05 Asia/Jakarta by default; one firing across
 * instances: pg-boss claims each cron pass in the database).
 */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { QUEUES } from '../../jobs/queues.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { secured } from '../../plugins/openapi.ts'
import { evaluateCompliance } from './evaluation.ts'
import {
  ObligationIdParamsSchema,
  OperatorComplianceQuerySchema,
  OrganisationIdParamsSchema,
  SanctionIdParamsSchema,
  type ApplySanction,
  type OperatorComplianceQuery,
  type OperatorReason,
} from './schemas.ts'
import { applySanction, endSanction, operatorList, operatorStanding, ownCompliance, runEvaluation, waiveObligation, type ComplianceDeps } from './service.ts'

const AUTH_PROBLEMS = ['UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN', 'INSUFFICIENT_SCOPE'] as const
const BODY_PROBLEMS = ['BAD_REQUEST', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'] as const
const EVALUATE_QUEUE = QUEUES.complianceEvaluate.name

export interface ComplianceRoutesOptions {
  reminderDays: number
  evaluationCron: string
}

export default async function complianceRoutes(app: FastifyInstance, options: ComplianceRoutesOptions): Promise<void> {
  const deps = (): ComplianceDeps => ({ db: app.db, jobs: app.jobs, now: () => app.businessClock.now(), reminderDays: options.reminderDays })

  app.jobs.work<object>(EVALUATE_QUEUE, async () => {
    await app.businessClock.refresh()
    const result = await evaluateCompliance(deps(), app.businessClock.now(), options.reminderDays)
    if (result.reminders + result.sanctions + result.expired > 0) app.log.info(result, 'compliance evaluated')
  })
  app.addHook('onReady', async () => {
    await app.jobEngine.boss.schedule(EVALUATE_QUEUE, options.evaluationCron, {}, { tz: 'Asia/Jakarta' })
  })

  app.get(
    '/v1/compliance',
    {
      config: { scopes: ['reports:read'] },
      schema: {
        operationId: 'getCompliance',
        summary: 'Your organisation\'s compliance standing',
        description:
          'Overdue reports, active sanctions (and whether they refuse new permit applications), the last ended ones, and what to do. Sanctions come from the daily evaluation (a late report moves along its ladder: see `ladder` in `GET /v1/obligations`) or from the INSW contact centre. Needs View on Pelaporan Realisasi (`reports:read`).',
        tags: ['Compliance'],
        security: secured('reports:read'),
        response: { 200: Type.Ref('ComplianceStanding'), ...problemResponses(...AUTH_PROBLEMS, ...COMMON_PROBLEMS) },
      },
    },
    async (request) => ownCompliance(deps(), requirePrincipal(request)),
  )

  app.get<{ Querystring: OperatorComplianceQuery }>(
    '/v1/operator/compliance',
    {
      config: { scopes: ['registrations:read'] },
      schema: {
        operationId: 'listOperatorCompliance',
        summary: 'Organisations with overdue reports or sanctions',
        description: 'Platform operators: every organisation with an overdue report or an active sanction, most sanctions first; `blocked=true` for those refused new applications.',
        tags: ['Operators', 'Compliance'],
        security: secured('registrations:read'),
        querystring: OperatorComplianceQuerySchema,
        response: { 200: Type.Ref('OperatorComplianceList'), ...problemResponses(...AUTH_PROBLEMS, 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => operatorList(deps(), requirePrincipal(request), request.query),
  )

  app.get<{ Params: { orgId: string } }>(
    '/v1/operator/compliance/:orgId',
    {
      config: { scopes: ['registrations:read'] },
      schema: {
        operationId: 'getOperatorCompliance',
        summary: 'An organisation\'s compliance standing',
        description: 'Platform operators: the standing the organisation sees in `GET /v1/compliance`.',
        tags: ['Operators', 'Compliance'],
        security: secured('registrations:read'),
        params: OrganisationIdParamsSchema,
        response: { 200: Type.Ref('ComplianceStanding'), ...problemResponses(...AUTH_PROBLEMS, 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => operatorStanding(deps(), requirePrincipal(request), request.params.orgId),
  )

  app.post<{ Params: { orgId: string }; Body: ApplySanction }>(
    '/v1/operator/compliance/:orgId/sanctions',
    {
      config: { scopes: ['registrations:write'] },
      schema: {
        operationId: 'applySanction',
        summary: 'Apply a sanction',
        description: 'Platform operators: applies a step of a ladder with a reason (e.g. `profile_change` step 1, freezing business licences after an unreported change of the business profile). Told to the organisation (feed, `sanction.applied` webhook) and audited.',
        tags: ['Operators', 'Compliance'],
        security: secured('registrations:write'),
        params: OrganisationIdParamsSchema,
        body: Type.Ref('ApplySanction'),
        response: { 201: Type.Ref('Sanction'), ...problemResponses(...BODY_PROBLEMS, ...AUTH_PROBLEMS, 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request, reply) => reply.code(201).send(await applySanction(deps(), requirePrincipal(request), request.params.orgId, request.body, request.id)),
  )

  for (const how of ['lift', 'waive'] as const) {
    app.post<{ Params: { sanctionId: string }; Body: OperatorReason }>(
      `/v1/operator/compliance/sanctions/:sanctionId/${how}`,
      {
        config: { scopes: ['registrations:write'] },
        schema: {
          operationId: how === 'lift' ? 'liftSanction' : 'waiveSanction',
          summary: how === 'lift' ? 'Lift a sanction' : 'Waive a sanction',
          description:
            how === 'lift'
              ? 'Platform operators: ends an active sanction with a reason (the overdue reports came in, the profile change was reported). A blocking one no longer refuses applications. Told (`sanction.ended`) and audited.'
              : 'Platform operators: annuls an active sanction that should not have applied, with a reason. Told (`sanction.ended`, status `waived`) and audited.',
          tags: ['Operators', 'Compliance'],
          security: secured('registrations:write'),
          params: SanctionIdParamsSchema,
          body: Type.Ref('OperatorReason'),
          response: { 200: Type.Ref('Sanction'), ...problemResponses(...BODY_PROBLEMS, ...AUTH_PROBLEMS, 'NOT_FOUND', 'CONFLICT', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
        },
      },
      async (request) => endSanction(deps(), requirePrincipal(request), request.params.sanctionId, how === 'lift' ? 'lifted' : 'waived', request.body.reason, request.id),
    )
  }

  app.post<{ Params: { obligationId: string }; Body: OperatorReason }>(
    '/v1/operator/compliance/obligations/:obligationId/waive',
    {
      config: { scopes: ['registrations:write'] },
      schema: {
        operationId: 'waiveObligation',
        summary: 'Waive a report obligation',
        description: 'Platform operators: the period need not be reported (the licence was revoked, the report reached INATRADE another way), with a reason. A waived obligation is never escalated. Audited.',
        tags: ['Operators', 'Compliance'],
        security: secured('registrations:write'),
        params: ObligationIdParamsSchema,
        body: Type.Ref('OperatorReason'),
        response: {
          200: Type.Object({ id: Type.String({ format: 'uuid' }), status: Type.Literal('waived'), waivedReason: Type.String(), waivedAt: Type.String({ format: 'date-time' }) }, { additionalProperties: false }),
          ...problemResponses(...BODY_PROBLEMS, ...AUTH_PROBLEMS, 'NOT_FOUND', 'CONFLICT', 'VALIDATION_FAILED', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request) => waiveObligation(deps(), requirePrincipal(request), request.params.obligationId, request.body.reason, request.id),
  )

  app.post(
    '/v1/operator/compliance/evaluations',
    {
      config: { scopes: ['registrations:write'] },
      schema: {
        operationId: 'runComplianceEvaluation',
        summary: 'Run the compliance evaluation now',
        description: 'Platform operators: what the daily run (00:05 Asia/Jakarta) does, now: reminders before deadlines, ladder steps for late reports, expiry of sanctions with a term. Safe to repeat: each step applies once.',
        tags: ['Operators', 'Compliance'],
        security: secured('registrations:write'),
        response: { 200: Type.Ref('ComplianceEvaluationResult'), ...problemResponses(...AUTH_PROBLEMS, ...COMMON_PROBLEMS) },
      },
    },
    async (request) => runEvaluation(deps(), requirePrincipal(request)),
  )
}
