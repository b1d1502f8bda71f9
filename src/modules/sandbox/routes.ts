/** Sandbox-only operations (registered only when the gateway runs against sandbox upstreams). */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../../config.ts'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { issuerOf } from '../../identity/provider.ts'
import { normaliseMobile } from '../registration/checks/shape.ts'
import type { CreateTestOperator, CreateTestOrganisation } from './schemas.ts'
import { pageLanguage } from '../identity/interactions/language.ts'
import { mailboxPage } from './mailbox-page.ts'
import { createTestOperator, createTestOrganisation, readMailbox, readSmsOutbox } from './service.ts'

export interface SandboxRoutesOptions {
  config: Config
  /** Where the upstream adapters point: the stubs' origins, to script them through their control API. */
  upstreamUrls?: { ossUrl: string; djpUrl: string; inatradeUrl: string }
}

export default async function sandboxRoutes(app: FastifyInstance, options: SandboxRoutesOptions): Promise<void> {
  const tokenUrl = `${issuerOf(options.config)}/token`

  if (options.upstreamUrls) {
    const { ossUrl, djpUrl, inatradeUrl } = options.upstreamUrls
    const upstreams = {
      oss: ossUrl,
      djp: djpUrl,
      inatrade: inatradeUrl,
      controlApi: 'PUT {origin}/__sandbox/identities/{nib}; GET {origin}/__sandbox/requests (docs/sandbox-upstreams.md)',
    }
    app.get(
      '/v1/sandbox/upstreams',
      {
        config: { public: true },
        schema: {
          operationId: 'getSandboxUpstreams',
          summary: 'Where the sandbox upstream stubs listen',
          description:
            'The origins of the OSS, DJP KSWP and INATRADE stubs this gateway talks to. Script them through their control API: for example switch INATRADE to `down` for one NIB, watch the retries in a permit\'s events, then switch it back to `normal`.',
          tags: ['Sandbox'],
          security: [],
          response: { 200: Type.Ref('SandboxUpstreams'), ...problemResponses(...COMMON_PROBLEMS) },
        },
      },
      async () => upstreams,
    )
  }

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
        description: 'An active platform operator (screens registrations). The password is returned once. Sign in with the scopes `registrations:read` (list and read) and `registrations:write` (approve and reject).',
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
        querystring: Type.Object({ to: Type.String({ format: 'email', maxLength: 254, description: 'Recipient address.' }) }, { additionalProperties: false }),
        response: { 200: Type.Ref('SandboxMailbox'), ...problemResponses('VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => ({ items: await readMailbox(app.db, request.query.to) }),
  )

  app.get<{ Querystring: { to: string } }>(
    '/v1/sandbox/sms',
    {
      config: { public: true },
      schema: {
        operationId: 'readSandboxSmsOutbox',
        summary: 'Read the text messages (one-time codes) the gateway sent to a mobile number',
        description: 'In sandbox mode no SMS leaves the gateway; it lands here. Newest first, at most 50. Numbers are normalised to +62….',
        tags: ['Sandbox'],
        security: [],
        querystring: Type.Object({ to: Type.String({ maxLength: 20, description: 'Mobile number (08…, 628… or +628…).', examples: ['+6281234567890'] }) }, { additionalProperties: false }),
        response: { 200: Type.Ref('SandboxSmsOutbox'), ...problemResponses('VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => ({ items: await readSmsOutbox(app.db, normaliseMobile(request.query.to) ?? request.query.to) }),
  )

  // The same mailbox as a page with clickable links, for testers without an API client.
  app.get<{ Querystring: { to?: string; lang?: string } }>('/sandbox/mailbox', { schema: { hide: true } }, async (request, reply) => {
    const to = (request.query.to ?? '').trim().slice(0, 254)
    const mails = to ? await readMailbox(app.db, to) : []
    return reply
      .header('cache-control', 'no-store')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
      .type('text/html; charset=utf-8')
      .send(mailboxPage({ language: pageLanguage(request), to, mails }))
  })
}
