/** Realisation reports of a permit, and the forwarding job's handler. */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { secured } from '../../plugins/openapi.ts'
import { sendStored } from '../permits/idempotency.ts'
import { PermitIdParamsSchema, type PermitIdParams } from '../permits/schemas.ts'
import { forwardReport, type ReportForwardJob } from './forwarding.ts'
import { ReportParamsSchema, type AmendRealisationReport, type ReportParams, type SubmitRealisationReport } from './schemas.ts'
import { amendReport, getReport, listReports, listVersions, REPORT_FORWARD_QUEUE, submitReport } from './service.ts'

const AUTH_PROBLEMS = ['UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN', 'INSUFFICIENT_SCOPE'] as const
const BODY_PROBLEMS = ['BAD_REQUEST', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'] as const
const KEY_PROBLEMS = ['IDEMPOTENCY_KEY_IN_FLIGHT', 'IDEMPOTENCY_KEY_REUSED'] as const
const IDEMPOTENCY_HEADER = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Your key for this request: a retry with the same key and body replays the first answer (24 h).' })),
})
const ACCEPTED = {
  description: 'Stored and queued for INATRADE; `Location` is the report. On a replay, `Idempotent-Replayed: true`.',
  headers: { location: { type: 'string' }, 'idempotent-replayed': { type: 'string', enum: ['true'] } },
  content: { 'application/json': { schema: Type.Ref('RealisationReport') } },
}
const RIGHTS = 'Needs Create on Pelaporan Realisasi (machine clients: `reports:write`) in the permit\'s organisation; another organisation\'s permit is `404`.'

export default async function reportRoutes(app: FastifyInstance): Promise<void> {
  const deps = () => ({ db: app.db, jobs: app.jobs, now: () => app.businessClock.now() })

  app.jobs.work<ReportForwardJob>(REPORT_FORWARD_QUEUE, (data, job) => forwardReport({ db: app.db, inatrade: app.upstreams.inatrade, log: app.log }, data, job))

  app.post<{ Params: PermitIdParams; Body: SubmitRealisationReport; Headers: { 'idempotency-key'?: string } }>(
    '/v1/permits/:id/realisation-reports',
    {
      config: { scopes: ['reports:write'] },
      schema: {
        operationId: 'submitRealisationReport',
        summary: 'Submit the realisation report of a period',
        description: `The report of one period the permit owes (\`GET /v1/obligations\`): what was realised per HS code, and what was not and why; no lines is a nil report. Checked against the permit: only its HS codes, in its units, and the realised quantities of all its reports together within what it allows (\`422 OVER_REALISATION\`, with how much is left). One report per period: a second is \`409 REPORT_ALREADY_SUBMITTED\` (amend it instead; \`Location\` says where). Meets the obligation even when late, which stops its sanction ladder. Forwarded to INATRADE in the background: follow \`current.forwarding\`. With \`Idempotency-Key\`: the same key and body replays the first \`202\`. ${RIGHTS}`,
        tags: ['Realisation reports'],
        security: secured('reports:write'),
        params: PermitIdParamsSchema,
        headers: IDEMPOTENCY_HEADER,
        body: Type.Ref('SubmitRealisationReport'),
        response: {
          202: ACCEPTED,
          ...problemResponses(...BODY_PROBLEMS, ...AUTH_PROBLEMS, 'NOT_FOUND', 'PERMIT_NOT_ISSUED', 'REPORT_ALREADY_SUBMITTED', 'VALIDATION_FAILED', 'OVER_REALISATION', ...KEY_PROBLEMS, ...COMMON_PROBLEMS),
        },
      },
    },
    async (request, reply) => sendStored(reply, await submitReport(deps(), requirePrincipal(request), request.params.id, request.body, request.headers['idempotency-key'])),
  )

  app.get<{ Params: PermitIdParams }>(
    '/v1/permits/:id/realisation-reports',
    {
      config: { scopes: ['reports:read'] },
      schema: {
        operationId: 'listRealisationReports',
        summary: 'A permit\'s realisation reports',
        description: 'One per reported period, newest period first, each with its current version and forwarding state. Needs View on Pelaporan Realisasi (`reports:read`).',
        tags: ['Realisation reports'],
        security: secured('reports:read'),
        params: PermitIdParamsSchema,
        response: { 200: Type.Ref('RealisationReportList'), ...problemResponses(...AUTH_PROBLEMS, 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => listReports(deps(), requirePrincipal(request), request.params.id),
  )

  app.get<{ Params: ReportParams }>(
    '/v1/permits/:id/realisation-reports/:reportId',
    {
      config: { scopes: ['reports:read'] },
      schema: {
        operationId: 'getRealisationReport',
        summary: 'A realisation report',
        description: 'The report with its current version, whether it came after the deadline, and the version\'s forwarding to INATRADE (receipt number once forwarded). Needs View on Pelaporan Realisasi (`reports:read`).',
        tags: ['Realisation reports'],
        security: secured('reports:read'),
        params: ReportParamsSchema,
        response: { 200: Type.Ref('RealisationReport'), ...problemResponses(...AUTH_PROBLEMS, 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => getReport(deps(), requirePrincipal(request), request.params.id, request.params.reportId),
  )

  app.get<{ Params: ReportParams }>(
    '/v1/permits/:id/realisation-reports/:reportId/versions',
    {
      config: { scopes: ['reports:read'] },
      schema: {
        operationId: 'listRealisationReportVersions',
        summary: 'Every version of a report',
        description: 'The first submission and each amendment, oldest first, never changed after submission (only their forwarding state moves). Needs View on Pelaporan Realisasi (`reports:read`).',
        tags: ['Realisation reports'],
        security: secured('reports:read'),
        params: ReportParamsSchema,
        response: { 200: Type.Ref('RealisationReportVersionList'), ...problemResponses(...AUTH_PROBLEMS, 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => listVersions(deps(), requirePrincipal(request), request.params.id, request.params.reportId),
  )

  app.post<{ Params: ReportParams; Body: AmendRealisationReport; Headers: { 'idempotency-key'?: string } }>(
    '/v1/permits/:id/realisation-reports/:reportId/versions',
    {
      config: { scopes: ['reports:write'] },
      schema: {
        operationId: 'amendRealisationReport',
        summary: 'Amend a report (a new version)',
        description: `Adds version n+1 with the corrected lines and the reason; every earlier version stays readable. Checked like a first submission (the report's own current version does not count against the quota). Forwarded to INATRADE as \`<reportNumber>-v<n>\`. ${RIGHTS}`,
        tags: ['Realisation reports'],
        security: secured('reports:write'),
        params: ReportParamsSchema,
        headers: IDEMPOTENCY_HEADER,
        body: Type.Ref('AmendRealisationReport'),
        response: {
          202: ACCEPTED,
          ...problemResponses(...BODY_PROBLEMS, ...AUTH_PROBLEMS, 'NOT_FOUND', 'PERMIT_NOT_ISSUED', 'VALIDATION_FAILED', 'OVER_REALISATION', ...KEY_PROBLEMS, ...COMMON_PROBLEMS),
        },
      },
    },
    async (request, reply) =>
      sendStored(reply, await amendReport(deps(), requirePrincipal(request), request.params.id, request.params.reportId, request.body, request.headers['idempotency-key'])),
  )
}
