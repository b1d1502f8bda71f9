import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { secured } from '../../plugins/openapi.ts'
import { OrgParamsSchema, type OrgParams } from '../orgs/params.ts'
import { AuditQuerySchema, type AuditQuery } from './schemas.ts'
import { listOrgAuditEvents } from './service.ts'

export default async function auditRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: OrgParams; Querystring: AuditQuery }>(
    '/v1/orgs/:orgId/audit-events',
    {
      config: { scopes: ['org:read'] },
      schema: {
        operationId: 'listAuditEvents',
        summary: 'The organisation\'s audit log',
        description:
          'Every create, update, delete and grant in the organisation, and its users\' sign-in events (success, failure, lockout), newest first. Append-only. Needs the View right on User Management.',
        tags: ['Audit'],
        security: secured('org:read'),
        params: OrgParamsSchema,
        querystring: AuditQuerySchema,
        response: {
          200: Type.Ref('AuditEventPage'),
          ...problemResponses('UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN', 'INSUFFICIENT_SCOPE', 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request) => listOrgAuditEvents(app.db, requirePrincipal(request), request.params.orgId, request.query, request.url),
  )
}
