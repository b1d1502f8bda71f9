/**
 * The organisation check, before the body is validated: a caller of another organisation learns
 * nothing and costs nothing (no schema work on a large body, no database read). The services still
 * run the full check (src/modules/orgs/authorize.ts: membership from the database, then the right);
 * this only refuses early what that check would refuse anyway, with the same answer:
 * - a member route (`/v1/orgs/:orgId/...`) for an organisation other than the token's: 404;
 * - an operators-only route for a member or a machine client (operators belong to no organisation): 403.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify'
import { forbidden, notFound } from './authorize.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Platform operators only (`requireOperator` in the service); members get 403. */
    operatorsOnly?: boolean
  }
}

const ORG_ROUTE_PREFIX = '/v1/orgs/:orgId'

function rejectOtherOrganisation(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const principal = request.principal
  const orgId = (request.params as { orgId?: unknown }).orgId
  if (!principal) return done()
  if (request.routeOptions.config.operatorsOnly) {
    if (principal.kind === 'client' || principal.organisationId) return done(forbidden('Only platform operators may do this.', 'Hanya operator platform yang dapat melakukan ini.'))
    return done()
  }
  // Tokens without an organisation (operators) are left to the service's own check.
  if (principal.organisationId && principal.organisationId !== orgId) return done(notFound())
  done()
}

/** An onRoute hook: puts the check first among the route's preValidation hooks. */
export function checkOrganisationBeforeValidation(route: RouteOptions): void {
  if (!route.url.startsWith(ORG_ROUTE_PREFIX)) return
  const existing = route.preValidation === undefined ? [] : Array.isArray(route.preValidation) ? route.preValidation : [route.preValidation]
  route.preValidation = [rejectOtherOrganisation, ...existing] as RouteOptions['preValidation']
}
