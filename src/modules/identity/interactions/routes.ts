/**
 * The sign-in pages the OIDC provider sends people to (`/interaction/{uid}`), and the
 * forgot/reset password pages. HTML forms, no JavaScript. Failed logins lock the source out
 * of that username, never the account itself (see accounts/login-throttle.ts); attempts are also
 * rate-limited per IP address and per username and IP address.
 */
import formbody from '@fastify/formbody'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Config, FederationSettings } from '../../../config.ts'
import { AppError } from '../../../errors/app-error.ts'
import { confirmPendingLink } from '../federation/linking.ts'
import federationRoutes from '../federation/routes.ts'
import { authenticate, requestPasswordReset, setPasswordWithToken } from '../accounts/service.ts'
import { forgetOldLoginFailures } from '../accounts/login-throttle.ts'
import { passwordProblems } from '../accounts/password-policy.ts'
import { formToken, formTokenValid, sameOrigin } from './csrf.ts'
import { formProblemStatus, readFormFields } from './form-fields.ts'
import { finishInteraction, grantRequestedScopes } from './finish.ts'
import { pageLanguage } from './language.ts'
import { textsFor } from './texts.ts'
import { forgotPasswordPage, loginPage, noticePage, resetPasswordPage } from './views.ts'

interface LoginBody {
  username?: string
  password?: string
  csrf?: string
}

function sendHtml(reply: FastifyReply, status: number, body: string) {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    .type('text/html; charset=utf-8')
    .send(body)
}

export default async function interactionRoutes(
  app: FastifyInstance,
  options: { config: Config; federation: FederationSettings },
): Promise<void> {
  const { config } = options
  const csrfSecret = app.oidcKeys.cookieKeys[0]!
  await app.register(formbody)

  const federated = () => ({ oss: Boolean(options.federation.oss), kemendag: Boolean(options.federation.sso_kemendag) })
  await app.register(federationRoutes, { config, federation: options.federation })

  // People see pages, not JSON: rate limits and expired interactions render as HTML.
  const htmlErrors = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const language = pageLanguage(request)
    const t = textsFor(language)
    if (error instanceof AppError && error.code === 'RATE_LIMITED') {
      if (error.retryAfter) reply.header('retry-after', String(error.retryAfter))
      return sendHtml(reply, 429, noticePage({ language, title: t.signIn, error: t.tooMany }))
    }
    if (error.name === 'SessionNotFound' || (error as { error?: string }).error === 'invalid_request') {
      return sendHtml(reply, 400, noticePage({ language, title: t.signIn, error: t.expired }))
    }
    throw error
  }

  // Two independent budgets (per IP, per username) checked in one hook: @fastify/rate-limit runs only
  // one of its own hooks per request, so the second would silently never apply.
  const ipBudget = app.createRateLimit({ max: config.rateLimits.signInPerIpPerMinute, timeWindow: 60_000, keyGenerator: (r) => `login-ip:${r.ip}` })
  const usernameBudget = app.createRateLimit({
    max: config.rateLimits.signInPerUsernamePerMinute,
    timeWindow: 60_000,
    // Per username *and* IP: a budget per username alone would let anyone keep its owner out.
    keyGenerator: (r) => `login-user:${String((r.body as LoginBody | undefined)?.username ?? '').trim().toLowerCase()}:${r.ip}`,
  })
  const spend = (...budgets: (typeof ipBudget)[]) =>
    async function loginBudget(request: FastifyRequest) {
      for (const budget of budgets) {
        const result = await budget(request)
        if (!result.isAllowed && result.isExceeded) throw new AppError('RATE_LIMITED', { retryAfter: result.ttlInSeconds })
      }
    }
  const perIp = spend(ipBudget)
  const perIpAndUsername = spend(ipBudget, usernameBudget)

  // Failure records a day past their last failure and lock are dropped (login-throttle.ts).
  const forget = () => forgetOldLoginFailures(app.db).catch((err: unknown) => app.log.warn({ err }, 'could not drop old login failures'))
  const forgetTimer = setInterval(forget, 60 * 60 * 1000).unref()
  app.addHook('onClose', async () => clearInterval(forgetTimer))

  app.get<{ Params: { uid: string } }>('/interaction/:uid', { schema: { hide: true }, errorHandler: htmlErrors }, async (request, reply) => {
    const details = await app.oidc.interactionDetails(request.raw, reply.raw)
    const language = pageLanguage(request, details.params.ui_locales)
    if (details.prompt.name === 'login') {
      return sendHtml(reply, 200, loginPage({ language, uid: details.uid, csrf: formToken(csrfSecret, details.uid), federated: federated() }))
    }
    // Any other prompt (consent) after a login in this session: first-party, granted directly.
    const accountId = details.session?.accountId
    if (!accountId) throw new AppError('BAD_REQUEST', { detail: 'interaction without a session' })
    const grantId = await grantRequestedScopes(app, config, details, accountId)
    return finishInteraction(request, reply, app, { consent: { grantId } })
  })

  app.post<{ Params: { uid: string }; Body: LoginBody }>(
    '/interaction/:uid/login',
    { schema: { hide: true }, errorHandler: htmlErrors, preHandler: perIpAndUsername },
    async (request, reply) => {
      const details = await app.oidc.interactionDetails(request.raw, reply.raw)
      const language = pageLanguage(request, details.params.ui_locales)
      const t = textsFor(language)
      const form = readFormFields(request, ['username', 'password', 'csrf'])
      if (!form.ok) return sendHtml(reply, formProblemStatus(form.problem), noticePage({ language, title: t.signIn, error: t.badForm }))
      const { username, password, csrf } = form.fields
      const render = (status: number, error: string) =>
        sendHtml(reply, status, loginPage({ language, uid: details.uid, csrf: formToken(csrfSecret, details.uid), username, error, federated: federated() }))
      if (details.prompt.name !== 'login' || !sameOrigin(request, config.publicUrl) || !formTokenValid(csrfSecret, details.uid, csrf)) {
        return sendHtml(reply, 403, noticePage({ language, title: t.signIn, error: t.expired }))
      }
      if (!username || !password) return render(400, t.wrongPassword)
      const result = await authenticate(app.db, username, password, { requestId: request.id, ip: request.ip })
      if (!result.ok) {
        request.log.info({ reason: result.reason }, 'login refused')
        if (result.reason === 'inactive') return render(403, t.inactive)
        // A wrong password, an unknown username and a locked source get one answer: same status,
        // same page, same words (which mention the pause), so none of them can be told apart.
        return render(401, t.wrongPassword)
      }
      // An external identity offered a link earlier in this sign-in is linked now, by this password.
      await confirmPendingLink(app.db, details.uid, result.userId, { requestId: request.id })
      const grantId = await grantRequestedScopes(app, config, details, result.userId, { reuseGrant: false })
      return finishInteraction(request, reply, app, { login: { accountId: result.userId }, consent: { grantId } })
    },
  )

  app.get<{ Params: { uid: string } }>('/interaction/:uid/abort', { schema: { hide: true }, errorHandler: htmlErrors }, async (request, reply) => {
    await app.oidc.interactionDetails(request.raw, reply.raw)
    return finishInteraction(request, reply, app, { error: 'access_denied', error_description: 'The user cancelled the sign-in.' })
  })

  app.get('/account/forgot-password', { schema: { hide: true } }, async (request, reply) =>
    sendHtml(reply, 200, forgotPasswordPage({ language: pageLanguage(request) })),
  )

  app.post<{ Body: { email?: string; username?: string } }>(
    '/account/forgot-password',
    { schema: { hide: true }, errorHandler: htmlErrors, preHandler: perIp },
    async (request, reply) => {
      const language = pageLanguage(request)
      const t = textsFor(language)
      if (!sameOrigin(request, config.publicUrl)) return sendHtml(reply, 403, forgotPasswordPage({ language, error: t.expired }))
      const form = readFormFields(request, ['email', 'username'])
      if (!form.ok) return sendHtml(reply, formProblemStatus(form.problem), forgotPasswordPage({ language, error: t.badForm }))
      const { email, username } = form.fields
      if (email && username) {
        const { queued } = await requestPasswordReset(app.db, {
          email,
          username,
          resetUrl: (token) => `${config.publicUrl}/account/reset-password?token=${encodeURIComponent(token)}&lang=${language}`,
        })
        // Not awaited: a match must not answer later than a mismatch.
        queued.catch((error: unknown) => request.log.error({ err: error }, 'password reset mail not queued'))
      }
      return sendHtml(reply, 200, forgotPasswordPage({ language, notice: t.forgotSent }))
    },
  )

  app.get<{ Querystring: { token?: string } }>('/account/reset-password', { schema: { hide: true } }, async (request, reply) =>
    sendHtml(reply, 200, resetPasswordPage({ language: pageLanguage(request), token: request.query.token ?? '' })),
  )

  app.post<{ Body: { token?: string; password?: string; confirm?: string } }>(
    '/account/reset-password',
    { schema: { hide: true }, errorHandler: htmlErrors, preHandler: perIp },
    async (request, reply) => {
      const language = pageLanguage(request)
      const t = textsFor(language)
      const form = readFormFields(request, ['token', 'password', 'confirm'])
      if (!form.ok) return sendHtml(reply, formProblemStatus(form.problem), noticePage({ language, title: t.resetTitle, error: t.badForm }))
      const { token, password, confirm } = form.fields
      if (!sameOrigin(request, config.publicUrl)) return sendHtml(reply, 403, resetPasswordPage({ language, token, error: t.expired }))
      if (password !== confirm) return sendHtml(reply, 422, resetPasswordPage({ language, token, error: t.mismatch }))
      const problem = passwordProblems(password)
      if (problem) return sendHtml(reply, 422, resetPasswordPage({ language, token, error: typeof problem === 'string' ? problem : problem[language] }))
      try {
        await setPasswordWithToken(app.db, token, password, { requestId: request.id })
      } catch (error) {
        if (error instanceof AppError && error.code === 'VALIDATION_FAILED') {
          return sendHtml(reply, 422, resetPasswordPage({ language, token: '', error: t.badLink }))
        }
        throw error
      }
      return sendHtml(reply, 200, noticePage({ language, title: t.resetTitle, notice: t.resetDone }))
    },
  )
}
