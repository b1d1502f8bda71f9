/**
 * API versioning and deprecation (README, "Versioning and deprecation"). A route that is going
 * away declares `config.deprecation: { since, sunset, successor? }`. Then:
 * - the contract marks its operation `deprecated: true` and says since when, until when and what
 *   replaces it (Swagger UI strikes it through; generated clients mark it);
 * - every answer of it carries `Deprecation: @<epoch seconds>` (RFC 9745), `Sunset: <HTTP-date>`
 *   (RFC 8594) and `Link` headers to the successor (`rel="successor-version"`) and to the policy
 *   (`rel="deprecation"`), so a client's logs say so long before the route answers `410`.
 * Only deprecated routes get the hook: every other route pays nothing for it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'

export interface RouteDeprecation {
  /** ISO date the route was deprecated. */
  since: string
  /** ISO date from which it may answer `410 Gone`. */
  sunset: string
  /** The path of what replaces it, e.g. `/v2/permits`. */
  successor?: string
}

/** Where the policy is explained: the contract's introduction in Swagger UI (a reference relative to the gateway). */
export const DEPRECATION_POLICY_URL = '/docs'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** This route is going away: see src/plugins/deprecation.ts. */
    deprecation?: RouteDeprecation
  }
}

/** The three headers of a deprecated route's answers, computed once per route. */
export function deprecationHeaders(deprecation: RouteDeprecation): Record<string, string> {
  const since = Date.parse(deprecation.since)
  const sunset = Date.parse(deprecation.sunset)
  if (Number.isNaN(since) || Number.isNaN(sunset) || sunset <= since) {
    throw new Error(`a deprecation needs ISO dates with sunset after since (got ${JSON.stringify(deprecation)})`)
  }
  const links = [`<${DEPRECATION_POLICY_URL}>; rel="deprecation"; type="text/html"`]
  if (deprecation.successor) links.unshift(`<${deprecation.successor}>; rel="successor-version"`)
  return {
    deprecation: `@${Math.floor(since / 1000)}`,
    sunset: new Date(sunset).toUTCString(),
    link: links.join(', '),
  }
}

async function deprecationPlugin(app: FastifyInstance): Promise<void> {
  app.addHook('onRoute', (route: RouteOptions) => {
    const deprecation = route.config?.deprecation
    if (!deprecation) return
    const headers = deprecationHeaders(deprecation)
    if (route.schema) {
      const schema = route.schema as { deprecated?: boolean; description?: string }
      schema.deprecated = true
      const note = `**Deprecated** since ${deprecation.since}; answers \`410 Gone\` from ${deprecation.sunset}${deprecation.successor ? `; use \`${deprecation.successor}\`` : ''}. Its answers carry \`Deprecation\`, \`Sunset\` and \`Link\` headers.`
      schema.description = schema.description ? `${note}\n\n${schema.description}` : note
    }
    const addHeaders = async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      reply.headers(headers)
      return payload
    }
    const existing = route.onSend
    route.onSend = existing === undefined ? [addHeaders] : [...(Array.isArray(existing) ? existing : [existing]), addHeaders]
  })
}

export default fp(deprecationPlugin, { name: 'deprecation', fastify: '5.x' })
