import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { secured } from '../../plugins/openapi.ts'
import { GroupParamsSchema, OrgParamsSchema, type GroupParams, type OrgParams } from '../orgs/params.ts'
import { ORG_READ_PROBLEMS, ORG_WRITE_PROBLEMS } from '../orgs/route-problems.ts'
import { GroupQuerySchema, type CreateGroup, type GroupQuery, type UpdateGroup } from './schemas.ts'
import { createGroup, deleteGroup, getGroup, listGroups, updateGroup } from './service.ts'

const RULES =
  'A super admin manages admin and non-admin groups, an admin non-admin groups only. Nobody grants a right they do not hold themselves. Needs the matching right on User Management.'

export default async function groupRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: OrgParams; Querystring: GroupQuery }>(
    '/v1/orgs/:orgId/groups',
    {
      config: { scopes: ['org:read'] },
      schema: {
        operationId: 'listGroups',
        summary: 'List the organisation\'s groups',
        description: 'Newest first; filter by `level` and `status`. Needs View on User Management.',
        tags: ['Groups'],
        security: secured('org:read'),
        params: OrgParamsSchema,
        querystring: GroupQuerySchema,
        response: { 200: Type.Ref('GroupPage'), ...problemResponses(...ORG_READ_PROBLEMS) },
      },
    },
    async (request) => listGroups(app.db, requirePrincipal(request), request.params.orgId, request.query, request.url),
  )

  app.post<{ Params: OrgParams; Body: CreateGroup }>(
    '/v1/orgs/:orgId/groups',
    {
      config: { scopes: ['org:admin'] },
      schema: {
        operationId: 'createGroup',
        summary: 'Create a group with per-menu rights',
        description: `${RULES} Needs Create.`,
        tags: ['Groups'],
        security: secured('org:admin'),
        params: OrgParamsSchema,
        body: Type.Ref('CreateGroup'),
        response: { 201: Type.Ref('Group'), ...problemResponses(...ORG_WRITE_PROBLEMS, 'CONFLICT') },
      },
    },
    async (request, reply) => reply.code(201).send(await createGroup(app.db, requirePrincipal(request), request.params.orgId, request.body, request.id)),
  )

  app.get<{ Params: GroupParams }>(
    '/v1/orgs/:orgId/groups/:groupId',
    {
      config: { scopes: ['org:read'] },
      schema: {
        operationId: 'getGroup',
        summary: 'Read a group and its rights',
        description: 'Needs View on User Management.',
        tags: ['Groups'],
        security: secured('org:read'),
        params: GroupParamsSchema,
        response: { 200: Type.Ref('Group'), ...problemResponses(...ORG_READ_PROBLEMS) },
      },
    },
    async (request) => getGroup(app.db, requirePrincipal(request), request.params.orgId, request.params.groupId),
  )

  app.patch<{ Params: GroupParams; Body: UpdateGroup }>(
    '/v1/orgs/:orgId/groups/:groupId',
    {
      config: { scopes: ['org:admin'] },
      schema: {
        operationId: 'updateGroup',
        summary: 'Rename, (de)activate, or change the rights of a group',
        description: `${RULES} Needs Edit. Its users' rights change on their next request.`,
        tags: ['Groups'],
        security: secured('org:admin'),
        params: GroupParamsSchema,
        body: Type.Ref('UpdateGroup'),
        response: { 200: Type.Ref('Group'), ...problemResponses(...ORG_WRITE_PROBLEMS, 'CONFLICT') },
      },
    },
    async (request) => updateGroup(app.db, requirePrincipal(request), request.params.orgId, request.params.groupId, request.body, request.id),
  )

  app.delete<{ Params: GroupParams }>(
    '/v1/orgs/:orgId/groups/:groupId',
    {
      config: { scopes: ['org:admin'] },
      schema: {
        operationId: 'deleteGroup',
        summary: 'Delete a group without users',
        description: `${RULES} Needs Delete. A group that still has users answers 409.`,
        tags: ['Groups'],
        security: secured('org:admin'),
        params: GroupParamsSchema,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...problemResponses(...ORG_READ_PROBLEMS, 'CONFLICT') },
      },
    },
    async (request, reply) => {
      await deleteGroup(app.db, requirePrincipal(request), request.params.orgId, request.params.groupId, request.id)
      return reply.code(204).send()
    },
  )
}
