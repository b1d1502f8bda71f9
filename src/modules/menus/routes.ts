import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { SECURED } from '../../plugins/openapi.ts'
import { OrgParamsSchema, type OrgParams } from '../orgs/params.ts'
import type { SetOrganisationMenus, SetOrganisationRateLimit } from '../orgs/schemas.ts'
import { getOrganisationMenus, menuCatalogue, setOrganisationMenus, setOrganisationRateLimit } from './service.ts'

const AUTH_PROBLEMS = ['UNAUTHENTICATED', 'INVALID_TOKEN'] as const
const WRITE_PROBLEMS = ['MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED'] as const

export default async function menuRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/v1/menus',
    {
      schema: {
        operationId: 'listMenus',
        summary: 'The catalogue of application menus and the rights each supports',
        description: 'Groups grant rights per menu; an organisation holds the menus a platform operator gave it.',
        tags: ['Menus'],
        security: SECURED,
        response: { 200: Type.Ref('MenuCatalogue'), ...problemResponses(...AUTH_PROBLEMS, ...COMMON_PROBLEMS) },
      },
    },
    async () => menuCatalogue(),
  )

  app.get<{ Params: OrgParams }>(
    '/v1/orgs/:orgId/menus',
    {
      schema: {
        operationId: 'getOrganisationMenus',
        summary: 'The menus an organisation has, and its machine-client rate limit',
        description: 'For the organisation\'s members and platform operators.',
        tags: ['Organisations'],
        security: SECURED,
        params: OrgParamsSchema,
        response: {
          200: Type.Ref('OrganisationMenus'),
          ...problemResponses(...AUTH_PROBLEMS, 'FORBIDDEN', 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request) => getOrganisationMenus(app.db, requirePrincipal(request), request.params.orgId),
  )

  app.put<{ Params: OrgParams; Body: SetOrganisationMenus }>(
    '/v1/orgs/:orgId/menus',
    {
      config: { operatorsOnly: true },
      schema: {
        operationId: 'setOrganisationMenus',
        summary: 'Set the menus an organisation\'s super admin has (platform operators)',
        description:
          'Replaces the organisation\'s menus. The super admin holds every right of each; groups keep their rights on a removed menu, but they grant nothing until the menu is given back. Audited.',
        tags: ['Operators'],
        security: SECURED,
        params: OrgParamsSchema,
        body: Type.Ref('SetOrganisationMenus'),
        response: {
          200: Type.Ref('OrganisationMenus'),
          ...problemResponses(...AUTH_PROBLEMS, 'FORBIDDEN', 'NOT_FOUND', ...WRITE_PROBLEMS, ...COMMON_PROBLEMS),
        },
      },
    },
    async (request) => setOrganisationMenus(app.db, requirePrincipal(request), request.params.orgId, request.body, request.id),
  )

  app.put<{ Params: OrgParams; Body: SetOrganisationRateLimit }>(
    '/v1/orgs/:orgId/rate-limit',
    {
      config: { operatorsOnly: true },
      schema: {
        operationId: 'setOrganisationRateLimit',
        summary: 'Set the request budget shared by an organisation\'s machine clients (platform operators)',
        description: 'Requests per minute for all the organisation\'s machine clients together; `null` restores the gateway default. Audited.',
        tags: ['Operators'],
        security: SECURED,
        params: OrgParamsSchema,
        body: Type.Ref('SetOrganisationRateLimit'),
        response: {
          200: Type.Ref('OrganisationMenus'),
          ...problemResponses(...AUTH_PROBLEMS, 'FORBIDDEN', 'NOT_FOUND', ...WRITE_PROBLEMS, ...COMMON_PROBLEMS),
        },
      },
    },
    async (request) => setOrganisationRateLimit(app.db, requirePrincipal(request), request.params.orgId, request.body, request.id),
  )
}
