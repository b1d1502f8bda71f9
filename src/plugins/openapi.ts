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
import { addMultipartEncodings } from './openapi-multipart.ts'
import { SWAGGER_UI_CLIENT_ID } from '../identity/clients.ts'
import { API_SCOPE_DESCRIPTIONS, OIDC_SCOPE_DESCRIPTIONS, type ApiScope } from '../identity/scopes.ts'

const errorCatalogueTable = Object.entries(problemCatalogue)
  .map(([code, definition]) => `| \`${code}\` | ${definition.status} | ${definition.title.en} | ${problemTypeUri(code as keyof typeof problemCatalogue)} |`)
  .join('\n')

/** The top of the sandbox contract: how to try it in three steps, and which NIB does what. */
const SANDBOX_START = `
**Start here (sandbox).** 1. *Sandbox* → \`POST /v1/sandbox/test-organisations\` with
\`{"nib": "8120000000001"}\` (an approved importer): it answers its machine clients (\`inhouse\`,
\`surveyor\`, \`insurer\`) with their secrets and a super admin with a password. 2. **Authorize**: *clientCredentials* with the \`inhouse\`
client's id and secret, or *authorizationCode* (the \`swagger-ui\` client is filled in) as the
super admin. 3. *Permit types* → *Permits*: submit one, follow it to its licence; *Webhooks* to be
called at every step. Sandbox identities (the NIB decides how the sandbox OSS, DJP KSWP and INATRADE
behave): \`8120000000001\` approved importer, \`8120000000002\` rejected by INATRADE,
\`8120000000003\` unknown to OSS, \`8120000000004\` NPWP invalid, \`8120000000006\` INATRADE slow, \`8120000000007\` INATRADE fails twice then recovers, \`8120000000008\` INATRADE
down, \`8120000000010\` approved exporter, \`8120000000011\` a BUMN; the full table is
in the repository's \`fixtures/README.md\`.
`.trim()

const description = `
Public REST API of the INSW / INATRADE integration gateway: account registration, single sign-on,
organisation users and rights, permit applications and realisation reports.

**Terms.** *NIB* (Nomor Induk Berusaha): the business identification number issued by **OSS**, the
licensing system every business registers in. *NPWP* (Nomor Pokok Wajib Pajak): the taxpayer number;
*KSWP* (Konfirmasi Status Wajib Pajak) is the tax office's (**DJP**) confirmation that a taxpayer is
in good standing. *NIK* (Nomor Induk Kependudukan): a person's national identity number (personal
data: never logged). *Surat kuasa*: the power of attorney that authorises the person registering to
act for the business. *Penanggung jawab*: the business's person in charge as OSS records them.
**INATRADE**: the Ministry of Trade's licensing system that decides permit applications.

**Errors.** Every error is an RFC 9457 \`application/problem+json\` document with a stable \`code\`.
Schema violations answer \`422\` with one \`errors[]\` entry per invalid field (a JSON Pointer and
where it is: body, query, path or header). Send \`Accept-Language: id\` for Indonesian titles and
details. \`5xx\` bodies carry only a \`requestId\`, also returned as \`X-Request-Id\` and written in the
gateway's log; send your own \`X-Request-Id\` to correlate across systems.

**Lists.** Every list operation pages the same way: \`?limit=\` (1–100, default 20) and an opaque
\`?cursor=\` copied from the previous page. The body is \`{ "items": [...], "next": "/v1/...?cursor=..." }\`;
\`next\` is \`null\` on the last page and keeps every filter of the request. Items come newest first
(ties broken by id) unless the operation offers \`sort\`. Filters are plain query parameters named
after the field (\`status=\`, \`actor=\`, \`from=\`/\`to=\` for time ranges, ISO 8601).

**Versioning and deprecation.** The major version is in the path (\`/v1\`). Within it, changes are
additive only: new operations, new optional fields and parameters, new enum values in answers,
new problem codes and event types; clients must ignore fields they do not know. Anything that would
break a client goes to \`/v2\`, side by side. An operation that is going away is marked
\`deprecated\` here at least 6 months before its sunset, and every answer of it carries
\`Deprecation: @<epoch>\` (RFC 9745), \`Sunset: <date>\` (RFC 8594) and \`Link\` headers to its
successor and to this policy; after the sunset it answers \`410 Gone\`. The changelog
(\`CHANGELOG.md\`) lists every change.

| code | status | title | type |
|---|---|---|---|
${errorCatalogueTable}
`.trim()

// In the order a newcomer follows them (Swagger UI lists them so): try it, sign in, apply, follow;
// then the organisation's own administration, the operators', and what only machines call.
export const OPENAPI_TAGS = [
  { name: 'Sandbox', description: 'Only in sandbox mode: test organisations, operators and the mailbox. Absent from production.' },
  {
    name: 'Identity',
    description:
      'Single sign-on. People sign in at `/oidc/auth` (authorization code + PKCE); machine clients get tokens at `/oidc/token` (client credentials). Discovery: `/oidc/.well-known/openid-configuration`.',
  },
  { name: 'Permit types', description: 'The permits that can be applied for: requirements, SLA in working days, reporting obligation and the JSON Schema of the application payload.' },
  {
    name: 'Permits',
    description:
      'Permit applications to INATRADE: submit once (signed receipt, `Idempotency-Key`), follow the status, SLA and every step of the journey, cancel before a decision, download the issued licence, verify a receipt.',
  },
  {
    name: 'Webhooks',
    description:
      'Signed callbacks to your systems at every step (Standard Webhooks): subscribe endpoints, rotate their secrets, read the delivery log, redeliver, ping. The messages themselves are listed in the contract\'s `webhooks` section.',
  },
  {
    name: 'Notifications',
    description:
      'What happened to your organisation\'s applications, for people: the feed (read, read all, unread count), a live Server-Sent Events stream, and email or SMS by each user\'s chosen channels. Systems get the same events by webhook.',
  },
  {
    name: 'Shipment data',
    description:
      'Pushed machine-to-machine by the surveyor and the insurer a permit names: a surveyor\'s verification report (Laporan Surveyor) and an insurer\'s cargo insurance declaration for each shipment under an issued permit. The partner reads what it pushed; the permit\'s organisation reads everything pushed about its permits.',
  },
  {
    name: 'Realisation reports',
    description:
      'What an issued licence obliges you to report, by when (Asia/Jakarta working days and holidays), and the reports themselves: submit once per period (`Idempotency-Key`), amend with a new version that keeps every earlier one, forwarded to INATRADE. Also as an iCalendar feed with an alarm before each deadline.',
  },
  {
    name: 'Compliance',
    description:
      'Sanctions for late reports, on a ladder per obligation kind (electronic warning first; the timetable is in the contract of each obligation): your organisation\'s standing, and for operators applying, lifting and waiving them with a reason. A sanction that blocks submissions makes new permit applications answer `403 SUBMISSIONS_BLOCKED` with how to clear it.',
  },
  { name: 'Registration', description: 'Public account registration: submit, upload the power of attorney, track by tracking number.' },
  { name: 'Account', description: 'Activation after approval: verify the email, set the password, complete the profile.' },
  { name: 'Organisations', description: 'An organisation\'s profile, re-sync from OSS, and its menus.' },
  { name: 'Users', description: 'Users of an organisation: super admin, admins and non-admins.' },
  { name: 'Groups', description: 'Groups of an organisation: a level and per-menu rights.' },
  { name: 'Menus', description: 'The catalogue of application menus and the rights each supports.' },
  { name: 'Machine clients', description: 'Client-credentials clients of an organisation (in-house systems, surveyors, insurers).' },
  { name: 'Audit', description: 'Append-only log of every change and sign-in relevant event in an organisation.' },
  { name: 'Operators', description: 'Platform operators screen registrations and manage organisations\' menus.' },
  {
    name: 'INATRADE callbacks',
    description: 'Called by INATRADE, not by integrators: signed status events of forwarded applications (HMAC-SHA256 over the raw body).',
  },
  { name: 'Health', description: 'Liveness and readiness for load balancers and orchestrators.' },
]

/** Security requirement of a protected operation: an OAuth2 access token (people or machines). */
export function secured(...scopes: ApiScope[]): Record<string, string[]>[] {
  return [{ oauth2: scopes }, { bearerAuth: [] }]
}
export const SECURED = secured()

const allScopes = { ...OIDC_SCOPE_DESCRIPTIONS, ...API_SCOPE_DESCRIPTIONS }
const apiScopes = { ...API_SCOPE_DESCRIPTIONS }

const securitySchemes = {
  oauth2: {
    type: 'oauth2',
    description:
      'Access tokens from the gateway\'s OIDC provider. People: authorization code with PKCE (S256). Machine clients: client credentials with HTTP Basic client authentication.',
    flows: {
      authorizationCode: { authorizationUrl: '/oidc/auth', tokenUrl: '/oidc/token', refreshUrl: '/oidc/token', scopes: allScopes },
      clientCredentials: { tokenUrl: '/oidc/token', refreshUrl: '/oidc/token', scopes: apiScopes },
    },
  },
  bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT access token (RFC 9068) obtained elsewhere.' },
}

const DOCS_PREFIX = '/docs'
/** Where Swagger UI's sign-in popup lands: the redirect URI registered for the swagger-ui client. */
const OAUTH2_REDIRECT_PATH = `${DOCS_PREFIX}/oauth2-redirect.html`
const BUNDLED_REDIRECT = "resolveUrl('./static/oauth2-redirect.html')"
const OUR_REDIRECT = "resolveUrl('./oauth2-redirect.html')"
const OAUTH2_REDIRECT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Signing in · INSW Gateway API explorer</title></head>
<body>
<script src="static/oauth2-redirect.js"></script>
</body>
</html>
`

export interface OpenapiPluginOptions {
  /** Sandbox mode: the contract opens with how to try it, and lists the Sandbox operations' tag. */
  sandbox?: boolean
  /** The top-level `webhooks` section (OpenAPI 3.1): the messages the gateway sends, built by the feature that sends them. */
  webhooks?: Record<string, unknown>
}

async function openapiPlugin(app: FastifyInstance, options: OpenapiPluginOptions = {}): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'INSW Integration Gateway API',
        version: '1.0.0',
        description: options.sandbox ? `${SANDBOX_START}\n\n${description}` : description,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        contact: { name: 'INSW Gateway maintainers', url: 'https://insw-gateway.dev' },
      },
      servers: [{ url: '/', description: 'This gateway' }],
      tags: options.sandbox ? OPENAPI_TAGS : OPENAPI_TAGS.filter((tag) => tag.name !== 'Sandbox'),
      components: { securitySchemes } as never,
      ...(options.webhooks ? { webhooks: options.webhooks as never } : {}),
    },
    transformObject: (documentObject) => addMultipartEncodings(('openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject) as never) as never,
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  })
  // Swagger UI in its own scope, so the hook below sees only its routes.
  await app.register(async (docs) => {
    // @fastify/swagger-ui hard-codes Swagger UI's OAuth2 redirect to /docs/static/oauth2-redirect.html
    // (after uiConfig, so it cannot be configured); the swagger-ui client is registered with
    // /docs/oauth2-redirect.html, a stable URL that does not depend on the plugin's asset layout.
    docs.addHook('onSend', async (request, _reply, payload) => {
      if (request.routeOptions.url !== `${DOCS_PREFIX}/static/swagger-initializer.js` || typeof payload !== 'string') return payload
      if (!payload.includes(BUNDLED_REDIRECT)) {
        request.log.error('Swagger UI initializer changed: its OAuth2 redirect URL was not rewritten, so Authorize will fail')
        return payload
      }
      return payload.replace(BUNDLED_REDIRECT, OUR_REDIRECT)
    })
    await docs.register(swaggerUi, {
      routePrefix: DOCS_PREFIX,
      uiConfig: { deepLinking: true, tryItOutEnabled: true, displayRequestDuration: true, persistAuthorization: true },
      // The Authorize button signs people in through the public PKCE client. No scope is
      // preselected: Swagger UI would send every preselected scope in both flows (even the OpenID
      // ones a client-credentials block does not show), and a machine client asking for a scope
      // it does not hold gets invalid_scope. Testers tick what they need in the flow they use.
      initOAuth: {
        clientId: SWAGGER_UI_CLIENT_ID,
        usePkceWithAuthorizationCodeGrant: true,
        appName: 'INSW Gateway API explorer',
      },
    })
    // The page the sign-in popup returns to: Swagger UI's own script hands the code to the opener.
    docs.get(OAUTH2_REDIRECT_PATH, { schema: { hide: true } }, async (_request, reply) =>
      reply
        .header('cache-control', 'no-store')
        // The URL carries the authorization code: never send it on as a Referer.
        .header('referrer-policy', 'no-referrer')
        .type('text/html; charset=utf-8')
        .send(OAUTH2_REDIRECT_PAGE),
    )
  })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}

export default fp(openapiPlugin, { name: 'openapi', fastify: '5.x', dependencies: ['errors'] })
