import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../../config.ts'
import { problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { secured } from '../../plugins/openapi.ts'
import { issuerOf } from '../../identity/provider.ts'
import { ClientParamsSchema, OrgParamsSchema, type ClientParams, type OrgParams } from '../orgs/params.ts'
import { ORG_READ_PROBLEMS, ORG_WRITE_PROBLEMS } from '../orgs/route-problems.ts'
import { MachineClientQuerySchema, type CreateMachineClient, type MachineClientQuery, type RotateClientSecret } from './schemas.ts'
import { forgetMachineClient } from '../../identity/clients.ts'
import { createClient, getClient, listClients, revokeClient, rotateClientSecret } from './service.ts'

export default async function clientRoutes(app: FastifyInstance, options: { config: Config }): Promise<void> {
  const tokenUrl = `${issuerOf(options.config)}/token`

  app.get<{ Params: OrgParams; Querystring: MachineClientQuery }>(
    '/v1/orgs/:orgId/clients',
    {
      config: { scopes: ['org:read'] },
      schema: {
        operationId: 'listMachineClients',
        summary: 'List the organisation\'s machine clients',
        description: 'Newest first; filter by `kind` and `status`. Needs View on API Catalogue.',
        tags: ['Machine clients'],
        security: secured('org:read'),
        params: OrgParamsSchema,
        querystring: MachineClientQuerySchema,
        response: { 200: Type.Ref('MachineClientPage'), ...problemResponses(...ORG_READ_PROBLEMS) },
      },
    },
    async (request) => listClients(app.db, requirePrincipal(request), request.params.orgId, request.query, request.url),
  )

  app.post<{ Params: OrgParams; Body: CreateMachineClient }>(
    '/v1/orgs/:orgId/clients',
    {
      config: { scopes: ['org:admin'] },
      schema: {
        operationId: 'createMachineClient',
        summary: 'Create client credentials for one of the organisation\'s systems',
        description:
          'Super admins and admins with Create on API Catalogue. Scopes are capped by the kind and by the creator\'s own rights. The secret is in this answer only.',
        tags: ['Machine clients'],
        security: secured('org:admin'),
        params: OrgParamsSchema,
        body: Type.Ref('CreateMachineClient'),
        response: { 201: Type.Ref('MachineClientCredentials'), ...problemResponses(...ORG_WRITE_PROBLEMS) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createClient(app.db, requirePrincipal(request), request.params.orgId, request.body, { requestId: request.id, tokenUrl })),
  )

  app.get<{ Params: ClientParams }>(
    '/v1/orgs/:orgId/clients/:clientId',
    {
      config: { scopes: ['org:read'] },
      schema: {
        operationId: 'getMachineClient',
        summary: 'Read a machine client',
        description: 'Needs View on API Catalogue.',
        tags: ['Machine clients'],
        security: secured('org:read'),
        params: ClientParamsSchema,
        response: { 200: Type.Ref('MachineClient'), ...problemResponses(...ORG_READ_PROBLEMS) },
      },
    },
    async (request) => getClient(app.db, requirePrincipal(request), request.params.orgId, request.params.clientId),
  )

  app.post<{ Params: ClientParams; Body: RotateClientSecret | undefined }>(
    '/v1/orgs/:orgId/clients/:clientId/rotate-secret',
    {
      config: { scopes: ['org:admin'] },
      schema: {
        operationId: 'rotateMachineClientSecret',
        summary: 'Issue a new secret; the old one works for a grace period',
        description: 'Needs Edit on API Catalogue. The new secret is in this answer only. A revoked client answers 409.',
        tags: ['Machine clients'],
        security: secured('org:admin'),
        params: ClientParamsSchema,
        body: Type.Ref('RotateClientSecret'),
        response: { 200: Type.Ref('MachineClientCredentials'), ...problemResponses(...ORG_WRITE_PROBLEMS, 'CONFLICT') },
      },
    },
    async (request) => {
      const rotated = await rotateClientSecret(app.db, requirePrincipal(request), request.params.orgId, request.params.clientId, request.body ?? {}, {
        requestId: request.id,
        tokenUrl,
      })
      // The token endpoint reuses a client's metadata for a few seconds: the new secret works at once here.
      forgetMachineClient(request.params.clientId)
      return rotated
    },
  )

  app.post<{ Params: ClientParams }>(
    '/v1/orgs/:orgId/clients/:clientId/revoke',
    {
      config: { scopes: ['org:admin'] },
      schema: {
        operationId: 'revokeMachineClient',
        summary: 'Revoke a machine client',
        description:
          'Needs Delete on API Catalogue. The client can no longer get tokens, and the API rejects its existing tokens at once on this instance and within 5 seconds on others.',
        tags: ['Machine clients'],
        security: secured('org:admin'),
        params: ClientParamsSchema,
        response: { 200: Type.Ref('MachineClient'), ...problemResponses(...ORG_READ_PROBLEMS, 'CONFLICT') },
      },
    },
    async (request) => {
      const client = await revokeClient(app.db, requirePrincipal(request), request.params.orgId, request.params.clientId, request.id)
      app.machineClientStatus.forget(client.clientId)
      forgetMachineClient(client.clientId)
      return client
    },
  )
}
