/**
 * Completing an interaction. The gateway's clients are first-party, so there is no consent
 * screen: the grant receives the OIDC scopes asked for and the API scopes asked for.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { InteractionResults } from 'oidc-provider'
import { apiAudienceOf } from '../../../identity/provider.ts'
import type { Config } from '../../../config.ts'

type Details = Awaited<ReturnType<FastifyInstance['oidc']['interactionDetails']>>

export async function grantRequestedScopes(
  app: FastifyInstance,
  config: Config,
  details: Details,
  accountId: string,
  options: { reuseGrant?: boolean } = {},
): Promise<string> {
  const { params, prompt } = details
  // A grant from an earlier session may belong to another account: only a consent prompt reuses it.
  const grantId = options.reuseGrant === false ? undefined : details.grantId
  const grant = grantId
    ? await app.oidc.Grant.find(grantId)
    : new app.oidc.Grant({ accountId, clientId: params.client_id as string })
  if (!grant) throw new Error('grant vanished during the interaction')
  const missing = prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> }
  const requestedOidc = missing.missingOIDCScope ?? String(params.scope ?? '').split(' ').filter(Boolean)
  if (requestedOidc.length) grant.addOIDCScope(requestedOidc.join(' '))
  const resourceScopes = missing.missingResourceScopes ?? {}
  const audience = apiAudienceOf(config)
  const apiScopes = resourceScopes[audience] ?? String(params.scope ?? '').split(' ').filter((s) => s.includes(':'))
  if (apiScopes.length) grant.addResourceScope(audience, apiScopes.join(' '))
  return grant.save()
}

export async function finishInteraction(request: FastifyRequest, reply: FastifyReply, app: FastifyInstance, result: InteractionResults) {
  reply.hijack()
  await app.oidc.interactionFinished(request.raw, reply.raw, result, { mergeWithLastSubmission: false })
}
