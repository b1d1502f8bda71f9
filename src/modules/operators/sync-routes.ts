/** POST /v1/orgs/{orgId}/sync: refresh the organisation's profile from OSS. */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { SECURED } from '../../plugins/openapi.ts'
import { resyncOrganisation } from './sync.ts'

export default async function organisationSyncRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Params: { orgId: string } }>(
    '/v1/orgs/:orgId/sync',
    {
      schema: {
        operationId: 'resyncOrganisation',
        summary: 'Re-sync the organisation profile from OSS (Sinkronkan Ulang)',
        description:
          'Fetches the profile from OSS by the organisation\'s NIB (bypassing the cache), stores it and lists what changed. For the organisation\'s super admin and admins, and platform operators. Data wrong in OSS must be corrected at OSS first. Re-syncing is how an organisation reports a change of its business profile: when a platform operator\'s re-sync finds a change first, it was not reported, and an organisation holding business licences gets them frozen (a `profile_change` sanction, `sanctionId` in the answer) until an operator lifts it.',
        tags: ['Organisations'],
        security: SECURED,
        params: Type.Object({ orgId: Type.String({ format: 'uuid', maxLength: 36 }) }, { additionalProperties: false }),
        response: {
          200: Type.Ref('OrganisationSyncResult'),
          ...problemResponses('UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'VALIDATION_FAILED', 'UPSTREAM_BAD_RESPONSE', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request) => resyncOrganisation({ db: app.db, upstreams: app.upstreams, jobs: app.jobs, now: () => app.businessClock.now() }, requirePrincipal(request), request.params.orgId),
  )
}
