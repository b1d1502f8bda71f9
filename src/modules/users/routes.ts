import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../../config.ts'
import { problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { secured } from '../../plugins/openapi.ts'
import { OrgParamsSchema, UserParamsSchema, type OrgParams, type UserParams } from '../orgs/params.ts'
import { ORG_READ_PROBLEMS, ORG_WRITE_PROBLEMS } from '../orgs/route-problems.ts'
import { OrgUserQuerySchema, type CreateOrgUser, type OrgUserQuery, type UpdateOrgUser } from './schemas.ts'
import { createUser, disableUser, getUser, listUsers, updateUser } from './service.ts'

const RULES = 'A super admin manages admins and non-admins, an admin non-admins only, a non-admin nobody; nobody changes their own account here.'

export default async function userRoutes(app: FastifyInstance, options: { config: Config }): Promise<void> {
  const setPasswordUrl = (token: string) => `${options.config.publicUrl}/account/reset-password?token=${encodeURIComponent(token)}`
  // The verify-email page also confirms a changed email (its token says which).
  const confirmEmailUrl = (token: string) => `${options.config.publicUrl}/account/verify-email?token=${encodeURIComponent(token)}`

  app.get<{ Params: OrgParams; Querystring: OrgUserQuery }>(
    '/v1/orgs/:orgId/users',
    {
      config: { scopes: ['org:read'] },
      schema: {
        operationId: 'listOrgUsers',
        summary: 'List the organisation\'s users',
        description: 'Newest first; filter by `level`, `status`, `groupId`. NIKs are masked. Needs View on User Management.',
        tags: ['Users'],
        security: secured('org:read'),
        params: OrgParamsSchema,
        querystring: OrgUserQuerySchema,
        response: { 200: Type.Ref('OrgUserPage'), ...problemResponses(...ORG_READ_PROBLEMS) },
      },
    },
    async (request) => listUsers(app.db, requirePrincipal(request), request.params.orgId, request.query, request.url),
  )

  app.post<{ Params: OrgParams; Body: CreateOrgUser }>(
    '/v1/orgs/:orgId/users',
    {
      config: { scopes: ['org:admin'] },
      schema: {
        operationId: 'createOrgUser',
        summary: 'Add a user (the add-user form)',
        description: `${RULES} The group must hold no right the caller lacks. The user gets an email (no-reply) to confirm and set a password. Needs Create on User Management.`,
        tags: ['Users'],
        security: secured('org:admin'),
        params: OrgParamsSchema,
        body: Type.Ref('CreateOrgUser'),
        response: { 201: Type.Ref('OrgUser'), ...problemResponses(...ORG_WRITE_PROBLEMS, 'CONFLICT') },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createUser(app.db, requirePrincipal(request), request.params.orgId, request.body, { requestId: request.id, setPasswordUrl })),
  )

  app.get<{ Params: UserParams }>(
    '/v1/orgs/:orgId/users/:userId',
    {
      config: { scopes: ['org:read'] },
      schema: {
        operationId: 'getOrgUser',
        summary: 'Read a user (with the full NIK)',
        description: 'Needs View on User Management.',
        tags: ['Users'],
        security: secured('org:read'),
        params: UserParamsSchema,
        response: { 200: Type.Ref('OrgUser'), ...problemResponses(...ORG_READ_PROBLEMS) },
      },
    },
    async (request) => getUser(app.db, requirePrincipal(request), request.params.orgId, request.params.userId),
  )

  app.patch<{ Params: UserParams; Body: UpdateOrgUser }>(
    '/v1/orgs/:orgId/users/:userId',
    {
      config: { scopes: ['org:admin'] },
      schema: {
        operationId: 'updateOrgUser',
        summary: 'Update a user\'s profile, or move them to another group',
        description: `${RULES} The caller must hold every right of the user's group (else 403), and only the user who created a user may change their group (their menus). A new \`email\` is pending until confirmed from that address (see \`pendingEmail\`). Needs Edit on User Management.`,
        tags: ['Users'],
        security: secured('org:admin'),
        params: UserParamsSchema,
        body: Type.Ref('UpdateOrgUser'),
        response: { 200: Type.Ref('OrgUser'), ...problemResponses(...ORG_WRITE_PROBLEMS) },
      },
    },
    async (request) =>
      updateUser(app.db, requirePrincipal(request), request.params.orgId, request.params.userId, request.body, { requestId: request.id, confirmEmailUrl }),
  )

  app.post<{ Params: UserParams }>(
    '/v1/orgs/:orgId/users/:userId/disable',
    {
      config: { scopes: ['org:admin'] },
      schema: {
        operationId: 'disableOrgUser',
        summary: 'Disable a user',
        description: `${RULES} The user can no longer sign in; their sign-in sessions, grants and refresh tokens are revoked at once, and their access tokens stop working on organisation operations at once. Needs Delete on User Management.`,
        tags: ['Users'],
        security: secured('org:admin'),
        params: UserParamsSchema,
        response: { 200: Type.Ref('OrgUser'), ...problemResponses(...ORG_READ_PROBLEMS) },
      },
    },
    async (request) => disableUser(app.db, requirePrincipal(request), request.params.orgId, request.params.userId, request.id),
  )
}
