/** Account activation (public, by mailed token), the verify-email page, and first-login completion. */
import formbody from '@fastify/formbody'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../../config.ts'
import { AppError } from '../../errors/app-error.ts'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { sameOrigin } from '../identity/interactions/csrf.ts'
import { formProblemStatus, readFormFields } from '../identity/interactions/form-fields.ts'
import { pageLanguage } from '../identity/interactions/language.ts'
import { html, page } from '../../http/html.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { SECURED } from '../../plugins/openapi.ts'
import type { CompleteAccount, EmailVerification, SetPassword, VerifyMobile } from './schemas.ts'
import { confirmEmailLink, readCompletion, setPassword, startCompletion, verifyEmail, verifyMobile } from './service.ts'

function sendHtml(reply: FastifyReply, status: number, body: string) {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    .type('text/html; charset=utf-8')
    .send(body)
}

const TEXT = {
  en: { title: 'Verify your email', intro: 'Confirm that this address belongs to you.', button: 'Verify email', done: 'Your email is verified. Now set your password with the second link in the mail.', changed: 'Your new email address is confirmed: INSW mail goes there from now on.', bad: 'This link is invalid, expired or already used.', badForm: 'This form was not sent the way the page sends it. Open the link in the mail again.' },
  id: { title: 'Verifikasi email', intro: 'Konfirmasi bahwa alamat email ini milik Anda.', button: 'Verifikasi email', done: 'Email Anda telah terverifikasi. Sekarang buat kata sandi melalui tautan kedua di email.', changed: 'Alamat email baru Anda telah dikonfirmasi: email INSW kini dikirim ke alamat tersebut.', bad: 'Tautan ini tidak valid, kedaluwarsa, atau sudah dipakai.', badForm: 'Formulir ini tidak dikirim seperti yang dilakukan halaman. Buka lagi tautan di email.' },
}

export default async function accountRoutes(app: FastifyInstance, options: { config: Config }): Promise<void> {
  app.post<{ Body: EmailVerification }>(
    '/v1/account/email-verification',
    {
      config: { public: true },
      schema: {
        operationId: 'verifyAccountEmail',
        summary: 'Verify the email address with the token from the approval (or email-change) mail',
        description: 'Single use; the token expires 72 hours after approval. The same operation confirms a changed email with the token mailed to the new address (24 hours): the pending address then becomes the user\'s email.',
        tags: ['Account'],
        security: [],
        body: Type.Ref('EmailVerification'),
        response: { 200: Type.Ref('AccountActivation'), ...problemResponses('MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => verifyEmail(app.db, request.body.token, { requestId: request.id }),
  )

  app.post<{ Body: SetPassword }>(
    '/v1/account/password',
    {
      config: { public: true },
      schema: {
        operationId: 'setAccountPassword',
        summary: 'Set the password with the token from the approval (or password-reset) mail',
        description: 'Activates the account: afterwards the user signs in with the generated username. Single use; the password rule is enforced (`422` names what is missing).',
        tags: ['Account'],
        security: [],
        body: Type.Ref('SetPassword'),
        response: { 200: Type.Ref('AccountActivation'), ...problemResponses('MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => setPassword(app.db, request.body.token, request.body.password),
  )

  const completionProblems = ['UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN'] as const

  app.get(
    '/v1/account/completion',
    {
      schema: {
        operationId: 'getAccountCompletion',
        summary: 'First-login completion status: email, notification channels, verified mobile',
        tags: ['Account'],
        security: SECURED,
        response: { 200: Type.Ref('AccountCompletion'), ...problemResponses(...completionProblems, ...COMMON_PROBLEMS) },
      },
    },
    async (request) => readCompletion(app.db, requirePrincipal(request)),
  )

  app.put<{ Body: CompleteAccount }>(
    '/v1/account/completion',
    {
      schema: {
        operationId: 'completeAccount',
        summary: 'Choose notification channels and send a one-time code to the mobile number',
        description:
          'The 6-digit code goes by SMS (in sandbox mode: `GET /v1/sandbox/sms?to=`), expires in 5 minutes and allows 5 attempts. A new request replaces the previous code. ' +
          'Codes are limited (defaults): one a minute and 5 an hour per user, 10 a day per mobile number; over a limit the answer is `429 RATE_LIMITED` with `Retry-After`, and nothing is saved or sent.',
        tags: ['Account'],
        security: SECURED,
        body: Type.Ref('CompleteAccount'),
        response: { 202: Type.Ref('AccountCompletion'), ...problemResponses(...completionProblems, 'MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request, reply) => reply.code(202).send(await startCompletion(app.db, requirePrincipal(request), request.body, options.config.oneTimeCodes)),
  )

  app.post<{ Body: VerifyMobile }>(
    '/v1/account/completion/mobile-verification',
    {
      schema: {
        operationId: 'verifyAccountMobile',
        summary: 'Verify the mobile number with the one-time code',
        tags: ['Account'],
        security: SECURED,
        body: Type.Ref('VerifyMobile'),
        response: { 200: Type.Ref('AccountCompletion'), ...problemResponses(...completionProblems, 'MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => verifyMobile(app.db, requirePrincipal(request), request.body.code),
  )

  // The link in the mail opens a page; only its button (a POST) uses the token, so mail scanners
  // that prefetch links do not burn it.
  app.get<{ Querystring: { token?: string; lang?: string } }>('/account/verify-email', { schema: { hide: true } }, async (request, reply) => {
    const language = pageLanguage(request)
    const t = TEXT[language]
    return sendHtml(
      reply,
      200,
      page({
        language,
        title: t.title,
        languageSwitchUrl: `/account/verify-email?token=${encodeURIComponent(request.query.token ?? '')}`,
        body: html`<h1>${t.title}</h1><p>${t.intro}</p>
<form method="post" action="/account/verify-email?lang=${language}"><input type="hidden" name="token" value="${request.query.token ?? ''}"><button type="submit">${t.button}</button></form>`,
      }),
    )
  })

  // The page's form posts urlencoded; only this route accepts that.
  await app.register(async (scope) => {
    await scope.register(formbody)
    scope.post<{ Body: { token?: string }; Querystring: { lang?: string } }>('/account/verify-email', { schema: { hide: true } }, async (request, reply) => {
    const language = pageLanguage(request)
    const t = TEXT[language]
    const notice = (status: number, text: string, kind: 'notice' | 'error') =>
      sendHtml(reply, status, page({ language, title: t.title, body: html`<h1>${t.title}</h1><p class="${kind}">${text}</p>` }))
    const form = readFormFields(request, ['token'])
    if (!form.ok) return notice(formProblemStatus(form.problem), t.badForm, 'error')
    if (!sameOrigin(request, options.config.publicUrl)) return notice(403, t.bad, 'error')
    let purpose
    try {
      purpose = (await confirmEmailLink(app.db, form.fields.token, { requestId: request.id })).purpose
    } catch (error) {
      if (error instanceof AppError && error.code === 'VALIDATION_FAILED') return notice(422, t.bad, 'error')
      throw error
    }
    return notice(200, purpose === 'confirm_email_change' ? t.changed : t.done, 'notice')
    })
  })
}
