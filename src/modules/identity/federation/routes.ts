/**
 * "Other options" on the login page: sign in with OSS or SSO Kemendag.
 * 1. `/interaction/{uid}/federated/{provider}` sends the browser to the IdP, keeping PKCE
 *    verifier, state and nonce in a signed, short-lived cookie.
 * 2. `/interaction/federated/{provider}/callback` (the fixed redirect URI registered at the IdP)
 *    exchanges the code, finds the linked local account, and sends the browser back under
 *    `/interaction/{uid}/…`, where the provider's interaction cookie is visible again. An
 *    identity not linked yet is offered a link: signing in with an INSW password in this same
 *    interaction makes it (linking.ts).
 * 3. `/interaction/{uid}/federated/complete` finishes the sign-in as that account.
 */
import cookie from '@fastify/cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Config, FederatedProviderName, FederationSettings } from '../../../config.ts'
import { recordAudit } from '../../audit/repository.ts'
import { finishInteraction, grantRequestedScopes } from '../interactions/finish.ts'
import { pageLanguage } from '../interactions/language.ts'
import { textsFor } from '../interactions/texts.ts'
import { noticePage } from '../interactions/views.ts'
import { requestLink, resolveFederatedAccount } from './linking.ts'
import { PROVIDER_LABELS, RelyingParties } from './relying-party.ts'
import { federationTexts } from './texts.ts'

const FLOW_COOKIE = 'insw_federation'
const RESULT_COOKIE = 'insw_federation_result'
const COOKIE_TTL_SECONDS = 10 * 60

interface FlowState {
  provider: FederatedProviderName
  uid: string
  verifier: string
  state: string
  nonce: string
  language: 'en' | 'id'
}

declare module 'fastify' {
  interface FastifyInstance {
    federation: RelyingParties
  }
}

function sendPage(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body)
}

export default async function federationRoutes(app: FastifyInstance, options: { config: Config; federation: FederationSettings }) {
  const { config } = options
  const parties = new RelyingParties(options.federation)
  app.decorate('federation', parties)
  await app.register(cookie, { secret: app.oidcKeys.cookieKeys })
  const cookieOptions = {
    path: '/interaction',
    httpOnly: true,
    // Lax: the IdP's redirect back is a top-level GET navigation, which carries lax cookies.
    sameSite: 'lax' as const,
    secure: config.publicUrl.startsWith('https:'),
    signed: true,
    maxAge: COOKIE_TTL_SECONDS,
  }
  const callbackUrl = (provider: FederatedProviderName) => `${config.publicUrl}/interaction/federated/${provider}/callback`

  function readSigned<T>(request: FastifyRequest, name: string): T | undefined {
    const raw = request.cookies[name]
    if (!raw) return undefined
    const unsigned = request.unsignCookie(raw)
    if (!unsigned.valid || !unsigned.value) return undefined
    try {
      return JSON.parse(unsigned.value) as T
    } catch {
      return undefined
    }
  }

  app.get<{ Params: { uid: string; provider: string } }>('/interaction/:uid/federated/:provider', { schema: { hide: true } }, async (request, reply) => {
    const details = await app.oidc.interactionDetails(request.raw, reply.raw)
    const language = pageLanguage(request, details.params.ui_locales)
    const { provider } = request.params
    if (!parties.enabled(provider)) {
      return sendPage(reply, 404, noticePage({ language, title: textsFor(language).signIn, error: textsFor(language).expired, backUrl: `/interaction/${details.uid}` }))
    }
    const { url, verifier, state, nonce } = await parties.authorizationUrl(provider, callbackUrl(provider), language)
    const flow: FlowState = { provider, uid: details.uid, verifier, state, nonce, language }
    reply.setCookie(FLOW_COOKIE, JSON.stringify(flow), cookieOptions)
    return reply.redirect(url.href, 303)
  })

  app.get<{ Params: { provider: string } }>('/interaction/federated/:provider/callback', { schema: { hide: true } }, async (request, reply) => {
    const flow = readSigned<FlowState>(request, FLOW_COOKIE)
    const language = flow?.language ?? pageLanguage(request)
    const t = textsFor(language)
    reply.clearCookie(FLOW_COOKIE, { path: '/interaction' })
    if (!flow || flow.provider !== request.params.provider) {
      return sendPage(reply, 400, noticePage({ language, title: t.signIn, error: t.expired }))
    }
    const label = PROVIDER_LABELS[flow.provider]
    const backUrl = `/interaction/${flow.uid}`
    let claims
    try {
      claims = await parties.exchange(flow.provider, new URL(request.url, config.publicUrl), flow)
    } catch (error) {
      request.log.warn({ err: error, provider: flow.provider }, 'federated sign-in failed')
      return sendPage(reply, 502, noticePage({ language, title: t.signIn, error: t.federatedFailed(label), backUrl }))
    }
    const resolution = await resolveFederatedAccount(app.db, flow.provider, claims, { requestId: request.id })
    if (resolution.kind === 'link_required') {
      // The person proves they own an account of the business by signing in with its password
      // in this same sign-in; the login then links the identity (see confirmPendingLink).
      await requestLink(app.db, flow.uid, flow.provider, { ...claims, nib: resolution.nib })
      request.log.info({ provider: flow.provider }, 'federated identity not linked yet: sign-in with a password offered')
      const f = federationTexts(language)
      return sendPage(reply, 200, noticePage({ language, title: f.linkTitle(label), notice: f.linkRequired(label), backUrl }))
    }
    if (resolution.kind === 'unknown') {
      request.log.info({ provider: flow.provider }, 'federated identity not linked to any account')
      return sendPage(reply, 403, noticePage({ language, title: t.signIn, error: t.federatedUnknown(label), backUrl }))
    }
    const accountId = resolution.userId
    reply.setCookie(RESULT_COOKIE, JSON.stringify({ uid: flow.uid, accountId, provider: flow.provider }), cookieOptions)
    return reply.redirect(`/interaction/${flow.uid}/federated/complete`, 303)
  })

  app.get<{ Params: { uid: string } }>('/interaction/:uid/federated/complete', { schema: { hide: true } }, async (request, reply) => {
    const details = await app.oidc.interactionDetails(request.raw, reply.raw)
    const result = readSigned<{ uid: string; accountId: string; provider: FederatedProviderName }>(request, RESULT_COOKIE)
    reply.clearCookie(RESULT_COOKIE, { path: '/interaction' })
    if (!result || result.uid !== details.uid) {
      const language = pageLanguage(request, details.params.ui_locales)
      return sendPage(reply, 400, noticePage({ language, title: textsFor(language).signIn, error: textsFor(language).expired }))
    }
    const grantId = await grantRequestedScopes(app, config, details, result.accountId, { reuseGrant: false })
    const user = await app.db.selectFrom('users').select(['organisation_id', 'level']).where('id', '=', result.accountId).executeTakeFirst()
    await recordAudit(app.db, {
      organisationId: user?.organisation_id ?? null,
      actor: { kind: user?.level === 'platform_operator' ? 'operator' : 'user', id: result.accountId },
      action: 'login.succeeded',
      targetType: 'user',
      targetId: result.accountId,
      after: { method: 'federated', provider: result.provider },
      requestId: request.id,
    })
    return finishInteraction(request, reply, app, {
      login: { accountId: result.accountId, amr: ['fed'], acr: `urn:insw:federated:${result.provider}` },
      consent: { grantId },
    })
  })
}
