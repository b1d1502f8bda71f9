import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { SECURED } from '../../plugins/openapi.ts'
import { describeCaller } from './service.ts'

export default async function meRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/v1/me',
    {
      schema: {
        operationId: 'getMe',
        summary: 'The caller: user or machine client, organisation and token scopes',
        description: 'Works with any valid access token for this API, from a person (authorization code) or a machine client (client credentials).',
        tags: ['Identity'],
        security: SECURED,
        response: { 200: Type.Ref('Me'), ...problemResponses('UNAUTHENTICATED', 'INVALID_TOKEN', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => describeCaller(app.db, requirePrincipal(request)),
  )
}
