/** Sandbox-only operations (registered only when the gateway runs against sandbox upstreams). */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../../config.ts'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { issuerOf } from '../identity/oidc/provider.ts'
import type { CreateTestOperator, CreateTestOrganisation } from './schemas.ts'
import { createTestOperator, createTestOrganisation, readMailbox } from './service.ts'

export default async function sandboxRoutes(app: FastifyInstance, options: { config: Config }): Promise<void> {
  const tokenUrl = `${issuerOf(options.config)}/token`

  app.post<{ Body: CreateTestOrganisation }>(
    '/v1/sandbox/test-organisations',
    {
      config: { public: true },
      schema: {
        operationId: 'createSandboxTestOrganisation',
        summary: 'Create a test organisation with a super admin and machine clients',
        description:
          'Makes an organisation from a sandbox NIB (profile from the OSS stub), an active super admin and one machine client of each kind (`inhouse`, `surveyor`, `insurer`). Passwords and client secrets are returned once.',
        tags: ['Sandbox'],
        security: [],
        body: Type.Ref('CreateTestOrganisation'),
        response: {
          201: Type.Ref('TestOrganisation'),
          ...problemResponses('MALFORMED_JSON', 'CONFLICT', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request, reply) => reply.code(201).send(await createTestOrganisation(app.db, app.upstreams, request.body.nib, tokenUrl)),
  )

  app.post<{ Body: CreateTestOperator }>(
    '/v1/sandbox/test-operators',
    {
      config: { public: true },
      schema: {
        operationId: 'createSandboxTestOperator',
        summary: 'Create a platform operator account',
        description: 'An active platform operator (screens registrations). The password is returned once.',
        tags: ['Sandbox'],
        security: [],
        body: Type.Ref('CreateTestOperator'),
        response: {
          201: Type.Ref('TestAccount'),
          ...problemResponses('MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request, reply) => reply.code(201).send(await createTestOperator(app.db, request.body ?? {})),
  )

  app.get<{ Querystring: { to: string } }>(
    '/v1/sandbox/mailbox',
    {
      config: { public: true },
      schema: {
        operationId: 'readSandboxMailbox',
        summary: 'Read the mail the gateway sent to an address',
        description: 'In sandbox mode no mail leaves the gateway; it lands here. Newest first, at most 50.',
        tags: ['Sandbox'],
        security: [],
        querystring: Type.Object({ to: Type.String({ format: 'email', description: 'Recipient address.' }) }, { additionalProperties: false }),
        response: { 200: Type.Ref('SandboxMailbox'), ...problemResponses('VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => ({ items: await readMailbox(app.db, request.query.to) }),
  )
}
