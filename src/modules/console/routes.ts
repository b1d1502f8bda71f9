/**
 * The operator console at /console (issue 14): server-rendered pages for platform operators,
 * signed in through the gateway's own SSO (access.ts). The registrations queue with the power of
 * attorney and approve/reject, dead-letter jobs with retry, compliance by organisation with
 * sanctions lifted, upstream and database health. Every read and every action is a call to the
 * API as the operator, so the API's rules (and its audit trail) apply unchanged. Forms carry the
 * session's CSRF token and must come from our origin. Outside the contract (hidden routes).
 */
import cookie from '@fastify/cookie'
import formbody from '@fastify/formbody'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../../config.ts'
import { requestedLanguage, type Language } from '../../errors/language.ts'
import { html } from '../../http/html.ts'
import { sameOrigin } from '../identity/interactions/csrf.ts'
import { consoleAccess, SignInRequired, type ApiAnswer } from './access.ts'
import { complianceBody, jobsBody, journeyBody, overviewBody, permitLookupForm, registrationBody, registrationsBody, standingBody } from './pages.ts'
import { Sealer, type ConsoleSession } from './session.ts'
import { consoleTexts } from './texts.ts'
import { consolePage, signInPage } from './views.ts'

const LANGUAGE_COOKIE = 'insw_console_lang'
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
const hidden = { schema: { hide: true } }

type Query = Record<string, string | undefined>

export default async function consoleRoutes(app: FastifyInstance, options: { config: Config }): Promise<void> {
  await app.register(cookie)
  await app.register(formbody)
  const access = consoleAccess(app, new Sealer(app.oidcKeys.cookieKeys[0]!), options.config.publicUrl)

  function languageOf(request: FastifyRequest, reply: FastifyReply): Language {
    const chosen = (request.query as Query).lang
    if (chosen === 'id' || chosen === 'en') {
      reply.setCookie(LANGUAGE_COOKIE, chosen, { path: '/console', sameSite: 'lax', maxAge: 365 * 86_400 })
      return chosen
    }
    const remembered = request.cookies[LANGUAGE_COOKIE]
    if (remembered === 'id' || remembered === 'en') return remembered
    return requestedLanguage(request.headers['accept-language']) ?? 'en'
  }

  // same-origin, not the gateway's no-referrer: with no-referrer a browser sends `Origin: null` on a
  // form post, and the origin check would refuse the console's own forms.
  const sendPage = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).header('cache-control', 'no-store').header('content-security-policy', PAGE_CSP).header('referrer-policy', 'same-origin').type('text/html; charset=utf-8').send(body)

  /**
   * A page: the session (or a redirect to sign in), the language, and what to render. A problem the
   * API answered is shown as the page's error, with its detail.
   */
  function page(render: (context: { request: FastifyRequest; reply: FastifyReply; session: ConsoleSession; language: Language; path: string }) => Promise<{ title: string; body: ReturnType<typeof html>; status?: number; notice?: string; error?: string } | undefined>) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const language = languageOf(request, reply)
      const session = access.session(request)
      const path = request.url.replace(/([?&])lang=(id|en)&?/, '$1').replace(/[?&]$/, '')
      if (!session) return access.startSignIn(reply, request.method === 'GET' ? path : '/console')
      try {
        const result = await render({ request, reply, session, language, path })
        if (!result || reply.sent) return reply
        return sendPage(reply, result.status ?? 200, consolePage({ language, title: result.title, operator: session.name, csrf: session.csrf, path, notice: result.notice, error: result.error }, result.body))
      } catch (error) {
        if (error instanceof SignInRequired) return access.startSignIn(reply, request.method === 'GET' ? path : '/console')
        throw error
      }
    }
  }

  /** A form post: from our origin, with the session's token; then back to `to` with a notice or the API's refusal. */
  function action(run: (context: { request: FastifyRequest; reply: FastifyReply; language: Language; form: Query }) => Promise<{ answer: ApiAnswer; to: string; notice: string }>) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const language = languageOf(request, reply)
      const session = access.session(request)
      if (!session) return access.startSignIn(reply, '/console')
      const form = (request.body ?? {}) as Query
      const t = consoleTexts(language)
      if (!sameOrigin(request, options.config.publicUrl) || typeof form.csrf !== 'string' || form.csrf !== session.csrf) {
        return sendPage(reply, 403, consolePage({ language, title: t.console, operator: session.name, csrf: session.csrf, path: '/console', error: t.badForm }, html``))
      }
      try {
        const { answer, to, notice } = await run({ request, reply, language, form })
        if (answer.status < 300) return reply.redirect(`${to}${to.includes('?') ? '&' : '?'}done=${encodeURIComponent(notice)}`, 303)
        const problem = answer.body as { detail?: string; title?: string; errors?: { detail: string }[] }
        const why = [problem.detail ?? problem.title, ...(problem.errors ?? []).map((error) => error.detail)].filter(Boolean).join(' ')
        return reply.redirect(`${to}${to.includes('?') ? '&' : '?'}refused=${encodeURIComponent(`${t.failed} ${why}`)}`, 303)
      } catch (error) {
        if (error instanceof SignInRequired) return access.startSignIn(reply, '/console')
        throw error
      }
    }
  }

  /** The outcome of the last action, carried in the redirect's query (text only, escaped when shown). */
  const outcome = (request: FastifyRequest) => {
    const query = request.query as Query
    return { notice: query.done?.slice(0, 300), error: query.refused?.slice(0, 600) }
  }

  app.get('/console/login', hidden, async (request, reply) => access.startSignIn(reply, '/console'))

  app.get<{ Querystring: Query }>('/console/callback', hidden, async (request, reply) => {
    const language = languageOf(request, reply)
    const t = consoleTexts(language)
    const result = await access.finishSignIn(request, reply, request.query)
    if ('error' in result) return sendPage(reply, result.error === 'not_operator' ? 403 : 400, signInPage(language, result.error === 'not_operator' ? t.notOperator : t.signInFailed))
    return reply.redirect(result.returnTo.startsWith('/console') ? result.returnTo : '/console', 303)
  })

  app.post('/console/logout', hidden, async (request, reply) => {
    const session = access.session(request)
    const form = (request.body ?? {}) as Query
    if (session && sameOrigin(request, options.config.publicUrl) && form.csrf === session.csrf) await access.signOut(reply, session)
    return sendPage(reply, 200, signInPage(languageOf(request, reply)))
  })

  app.get('/console', hidden, page(async ({ request, reply, language }) => {
    const get = (url: string) => access.api(request, reply, 'GET', url, language).then((answer) => answer.body)
    const [registrations, deadLetters, compliance] = await Promise.all([
      get('/v1/operator/registrations?status=pending_review&limit=100'),
      get('/v1/operator/jobs?state=dead_letter&limit=100'),
      get('/v1/operator/compliance?limit=100'),
    ])
    const readiness = (await app.inject({ url: '/health/ready' })).json() as Record<string, unknown>
    return { title: consoleTexts(language).overview, body: overviewBody(language, { readiness, registrations, deadLetters, compliance }) }
  }))

  app.get<{ Querystring: Query }>('/console/registrations', hidden, page(async ({ request, reply, language }) => {
    const query = request.query as Query
    const status = ['pending_review', 'approved', 'rejected', 'refused'].includes(query.status ?? '') ? query.status! : 'pending_review'
    const cursor = query.cursor ? `&cursor=${encodeURIComponent(query.cursor)}` : ''
    const answer = await access.api(request, reply, 'GET', `/v1/operator/registrations?status=${status}&limit=20${cursor}`, language)
    return { title: consoleTexts(language).registrations, body: registrationsBody(language, answer.body, status), ...outcome(request) }
  }))

  app.get<{ Params: { trackingNumber: string } }>('/console/registrations/:trackingNumber', hidden, page(async ({ request, reply, session, language }) => {
    const { trackingNumber } = request.params as { trackingNumber: string }
    const answer = await access.api(request, reply, 'GET', `/v1/operator/registrations/${encodeURIComponent(trackingNumber)}`, language)
    if (answer.status !== 200) return { title: trackingNumber, body: html``, status: answer.status, error: String((answer.body as { detail?: string }).detail ?? answer.status) }
    return { title: trackingNumber, body: registrationBody(language, answer.body, session.csrf), ...outcome(request) }
  }))

  app.get<{ Params: { trackingNumber: string } }>('/console/registrations/:trackingNumber/power-of-attorney', hidden, page(async ({ request, reply, language }) => {
    const { trackingNumber } = request.params as { trackingNumber: string }
    const registration = await access.api<{ powerOfAttorney?: { url: string } | null }>(request, reply, 'GET', `/v1/operator/registrations/${encodeURIComponent(trackingNumber)}`, language)
    const url = registration.body.powerOfAttorney?.url
    if (registration.status !== 200 || !url) return { title: trackingNumber, body: html``, status: 404 }
    const document = await access.api(request, reply, 'GET', url, language)
    // Shown inside the registration's page (same origin only), never cached.
    reply
      .code(document.status)
      .header('content-type', String(document.headers['content-type'] ?? 'application/pdf'))
      .header('content-disposition', 'inline; filename="surat-kuasa.pdf"')
      .header('cache-control', 'no-store')
      .header('content-security-policy', "default-src 'none'; frame-ancestors 'self'")
      .header('x-frame-options', 'SAMEORIGIN')
      .send(document.raw)
    return undefined
  }))

  for (const decision of ['approve', 'reject'] as const) {
    app.post<{ Params: { trackingNumber: string } }>(`/console/registrations/:trackingNumber/${decision}`, hidden, action(async ({ request, reply, language, form }) => {
      const { trackingNumber } = request.params as { trackingNumber: string }
      const t = consoleTexts(language)
      const body = decision === 'approve' ? {} : { reason: form.reason ?? '' }
      const answer = await access.api(request, reply, 'POST', `/v1/operator/registrations/${encodeURIComponent(trackingNumber)}/${decision}`, language, body)
      return { answer, to: `/console/registrations/${encodeURIComponent(trackingNumber)}`, notice: decision === 'approve' ? t.approved : t.rejected }
    }))
  }

  app.get('/console/jobs', hidden, page(async ({ request, reply, session, language }) => {
    const answer = await access.api(request, reply, 'GET', '/v1/operator/jobs?state=dead_letter&limit=100', language)
    return { title: consoleTexts(language).jobs, body: jobsBody(language, answer.body, session.csrf), ...outcome(request) }
  }))

  app.post<{ Params: { id: string } }>('/console/jobs/:id/retry', hidden, action(async ({ request, reply, language }) => {
    const { id } = request.params as { id: string }
    const answer = await access.api(request, reply, 'POST', `/v1/operator/jobs/${encodeURIComponent(id)}/retry`, language, {})
    return { answer, to: '/console/jobs', notice: consoleTexts(language).retried }
  }))

  app.get('/console/compliance', hidden, page(async ({ request, reply, language }) => {
    const answer = await access.api(request, reply, 'GET', '/v1/operator/compliance?limit=100', language)
    return { title: consoleTexts(language).compliance, body: complianceBody(language, answer.body), ...outcome(request) }
  }))

  app.get<{ Params: { orgId: string } }>('/console/compliance/:orgId', hidden, page(async ({ request, reply, session, language }) => {
    const { orgId } = request.params as { orgId: string }
    const answer = await access.api(request, reply, 'GET', `/v1/operator/compliance/${encodeURIComponent(orgId)}`, language)
    if (answer.status !== 200) return { title: consoleTexts(language).compliance, body: html``, status: answer.status, error: String((answer.body as { detail?: string }).detail ?? answer.status) }
    return { title: consoleTexts(language).compliance, body: standingBody(language, answer.body, session.csrf), ...outcome(request) }
  }))

  app.get<{ Querystring: Query }>('/console/permits', hidden, page(async ({ request, reply, language }) => {
    const t = consoleTexts(language)
    const reference = (request.query as Query).reference?.trim().slice(0, 40)
    if (!reference) return { title: t.permits, body: permitLookupForm(language) }
    const answer = await access.api(request, reply, 'GET', `/v1/operator/permits/${encodeURIComponent(reference)}`, language)
    if (answer.status !== 200) return { title: t.permits, body: permitLookupForm(language, reference), status: answer.status === 422 ? 404 : answer.status, error: t.notFound }
    return { title: `${t.permitJourney}: ${String((answer.body.permit as { referenceNumber?: string }).referenceNumber)}`, body: journeyBody(language, answer.body) }
  }))

  app.post<{ Params: { orgId: string; sanctionId: string } }>('/console/compliance/:orgId/sanctions/:sanctionId/lift', hidden, action(async ({ request, reply, language, form }) => {
    const { orgId, sanctionId } = request.params as { orgId: string; sanctionId: string }
    const answer = await access.api(request, reply, 'POST', `/v1/operator/compliance/sanctions/${encodeURIComponent(sanctionId)}/lift`, language, { reason: form.reason ?? '' })
    return { answer, to: `/console/compliance/${encodeURIComponent(orgId)}`, notice: consoleTexts(language).lifted }
  }))
}
