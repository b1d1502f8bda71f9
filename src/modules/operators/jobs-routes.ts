/**
 * Operators: the job engine's jobs (`GET /v1/operator/jobs`, `GET /v1/operator/jobs/{id}`) and the
 * retry of one that failed for good (`POST /v1/operator/jobs/{id}/retry`). Platform operators
 * only (the level, not just the scope): reading needs `registrations:read`, retrying
 * `registrations:write`, the scopes operators already hold.
 */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { PageQuerySchema } from '../../http/pagination.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { secured } from '../../plugins/openapi.ts'
import { getOperatorJob, listOperatorJobs, retryOperatorJob, type OperatorJobStateFilter } from './jobs-service.ts'

const params = Type.Object({ id: Type.String({ format: 'uuid', maxLength: 36, examples: ['0f8e4d2c-8a51-4c43-9d7e-2f2b8f0d6a11'] }) }, { additionalProperties: false })

const operatorProblems = ['UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN', 'INSUFFICIENT_SCOPE'] as const

export default async function operatorJobRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: { state?: OperatorJobStateFilter; queue?: string; limit?: number; cursor?: string } }>(
    '/v1/operator/jobs',
    {
      config: { scopes: ['registrations:read'] },
      schema: {
        operationId: 'listOperatorJobs',
        summary: 'List background jobs (platform operators)',
        description:
          'Jobs of the gateway\'s queues (mail delivery, permit forwarding, reconciliation and cancellation) and their dead letter queues, newest first, filtered by `state` and `queue`. `state=dead_letter` lists what failed for good and waits for an operator\'s retry. Payloads show identifiers only.',
        tags: ['Operators'],
        security: secured('registrations:read'),
        querystring: Type.Object(
          { state: Type.Optional(Type.Ref('OperatorJobState')), queue: Type.Optional(Type.Ref('OperatorJobQueue')), ...PageQuerySchema },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('OperatorJobPage'), ...problemResponses(...operatorProblems, 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => listOperatorJobs(app.db, app.jobEngine, requirePrincipal(request), request.query, request.url),
  )

  app.get<{ Params: { id: string } }>(
    '/v1/operator/jobs/:id',
    {
      config: { scopes: ['registrations:read'] },
      schema: {
        operationId: 'getOperatorJob',
        summary: 'Read a background job (platform operators)',
        description: 'State, attempts, when it runs next, why its last attempt failed, and where it came from (a dead letter copy names its original).',
        tags: ['Operators'],
        security: secured('registrations:read'),
        params,
        response: { 200: Type.Ref('OperatorJob'), ...problemResponses(...operatorProblems, 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => getOperatorJob(app.db, app.jobEngine, requirePrincipal(request), request.params.id),
  )

  app.post<{ Params: { id: string } }>(
    '/v1/operator/jobs/:id/retry',
    {
      config: { scopes: ['registrations:write'] },
      schema: {
        operationId: 'retryOperatorJob',
        summary: 'Retry a dead-lettered or failed job (platform operators)',
        description:
          'A job waiting in a dead letter queue goes back to its queue (a new job id); a failed job gets one more attempt. The queue\'s own follow-up runs in the same transaction (a dead-lettered permit leaves `forwarding_failed`; a failed mail is pending again), and the retry is audited. A job that is waiting, running or done answers `409`.',
        tags: ['Operators'],
        security: secured('registrations:write'),
        params,
        response: { 200: Type.Ref('OperatorJob'), ...problemResponses(...operatorProblems, 'NOT_FOUND', 'CONFLICT', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => retryOperatorJob(app.db, app.jobEngine, requirePrincipal(request), request.params.id, request.id),
  )
}
