/**
 * Publishes the contract: OpenAPI 3.1 at GET /openapi.json (the same document committed in
 * openapi/openapi.json) and Swagger UI at /docs. Named TypeBox schemas (`$id`) become named
 * components instead of `def-N`.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { problemCatalogue, problemTypeUri } from '../errors/catalogue.ts'

const errorCatalogueTable = Object.entries(problemCatalogue)
  .map(([code, definition]) => `| \`${code}\` | ${definition.status} | ${definition.title.en} | ${problemTypeUri(code as keyof typeof problemCatalogue)} |`)
  .join('\n')

const description = `
Public REST API of the INSW / INATRADE integration gateway: account registration, single sign-on,
organisation users and rights, permit applications and realisation reports.

**Errors.** Every error is an RFC 9457 \`application/problem+json\` document with a stable \`code\`.
Schema violations answer \`422\` with one \`errors[]\` entry per invalid field (a JSON Pointer and
where it is: body, query, path or header). Send \`Accept-Language: id\` for Indonesian titles and
details. \`5xx\` bodies carry only a \`requestId\`, also returned as \`X-Request-Id\` and written in the
gateway's log; send your own \`X-Request-Id\` to correlate across systems.

| code | status | title | type |
|---|---|---|---|
${errorCatalogueTable}
`.trim()

export const OPENAPI_TAGS = [
  { name: 'Health', description: 'Liveness and readiness for load balancers and orchestrators.' },
]

async function openapiPlugin(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'INSW Integration Gateway API',
        version: '1.0.0',
        description,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        contact: { name: 'INSW Gateway maintainers', url: 'https://insw-gateway.dev' },
      },
      servers: [{ url: '/', description: 'This gateway' }],
      tags: OPENAPI_TAGS,
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { deepLinking: true, tryItOutEnabled: true, displayRequestDuration: true, persistAuthorization: true },
  })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}

export default fp(openapiPlugin, { name: 'openapi', fastify: '5.x', dependencies: ['errors'] })
