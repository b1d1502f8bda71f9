/**
 * Security headers on every response, set once per request on the raw response so they also
 * reach answers the OIDC provider writes itself (hijacked replies) and cost no per-route work:
 * - `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`;
 * - a Content Security Policy: nothing may load by default (JSON, problem documents), HTML pages
 *   may use their own inline styles, Swagger UI under /docs its own scripts, and nothing may
 *   frame any page (`frame-ancestors 'none'`, clickjacking on the sign-in forms);
 * - `Strict-Transport-Security` when the public URL is https (behind a TLS-terminating proxy).
 * A route that sets one of these headers itself overrides the value here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'

/** JSON, problem+json and the gateway's own HTML pages (inline styles, no scripts, no frames). */
export const DEFAULT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
/** Swagger UI: its bundled scripts and styles, calls to this gateway only. */
const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'"
/** The provider writes its own pages (e.g. form_post's auto-submitting form): only forbid framing. */
const PROVIDER_CSP = "frame-ancestors 'none'"

const DOCS_PREFIX = '/docs'
/** Where the OIDC provider is mounted (src/identity/provider.ts). */
const OIDC_MOUNT_PATH = '/oidc'
export const HSTS = 'max-age=31536000; includeSubDomains'

/** The headers every response carries, including those Fastify answers before any hook runs. */
export const BASE_SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': DEFAULT_CSP,
}

function policyFor(url: string): string {
  if (url.startsWith(DOCS_PREFIX) && (url.length === DOCS_PREFIX.length || url[DOCS_PREFIX.length] === '/' || url[DOCS_PREFIX.length] === '?')) return DOCS_CSP
  if (url.startsWith(OIDC_MOUNT_PATH) && (url.length === OIDC_MOUNT_PATH.length || url[OIDC_MOUNT_PATH.length] === '/' || url[OIDC_MOUNT_PATH.length] === '?')) return PROVIDER_CSP
  return DEFAULT_CSP
}

async function securityHeadersPlugin(app: FastifyInstance, options: { https: boolean }): Promise<void> {
  const hsts = options.https
  // A callback hook, not an async one: no promise per request for four header writes.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const raw = reply.raw
    raw.setHeader('x-content-type-options', 'nosniff')
    raw.setHeader('referrer-policy', 'no-referrer')
    raw.setHeader('content-security-policy', policyFor(request.url))
    if (hsts) raw.setHeader('strict-transport-security', HSTS)
    done()
  })
}

export default fp(securityHeadersPlugin, { name: 'security-headers', fastify: '5.x' })
