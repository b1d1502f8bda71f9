/**
 * Issue 8, item 4: a password reset (and disabling a user) ends every session of the account at
 * once: the sign-in session, grants and refresh tokens stored by the provider are revoked.
 */
import * as oidc from 'openid-client'
import { sql } from 'kysely'
import t from 'tap'
import { hashPassword } from '../../src/modules/identity/accounts/password-hash.ts'
import { requestPasswordReset } from '../../src/modules/identity/accounts/service.ts'
import { setupTestContext, startListeningApp, testConfig } from '../helpers/app.ts'
import { api, createGroup, userForm } from '../helpers/orgs.ts'
import { openLoginPage, submitLogin, swaggerUiClient } from '../helpers/oidc.ts'
import { tokenMinter } from '../helpers/tokens.ts'

const context = await setupTestContext(t)
const { app, url } = await startListeningApp(t, context)
const db = context.database.handle.db
const swaggerUi = await swaggerUiClient(url)
const minter = tokenMinter(app, testConfig({ PUBLIC_URL: url }))
const redirectUri = `${url}/docs/oauth2-redirect.html`

const created = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000001' } })
const org = created.json()

/** A real sign-in through the login form: a session cookie in the browser, a grant and a refresh token. */
async function signInForReal(username: string, password: string) {
  const page = await openLoginPage(url, swaggerUi, { scope: 'openid profile email org:read' })
  const { callback } = await submitLogin(url, page, username, password)
  const tokens = await oidc.authorizationCodeGrant(swaggerUi, callback, { pkceCodeVerifier: page.verifier, expectedState: page.state })
  if (!tokens.refresh_token) throw new Error('no refresh token issued')
  return { browser: page.browser, refreshToken: tokens.refresh_token }
}

const rowsOf = (accountId: string) =>
  db.selectFrom('oidc_payloads').select('model').where(sql<string>`payload->>'accountId'`, '=', accountId).execute()

/** Whether the browser's session still signs it in without the login form. */
async function sessionStillSignsIn(browser: Awaited<ReturnType<typeof signInForReal>>['browser']) {
  const verifier = oidc.randomPKCECodeVerifier()
  const authorizationUrl = oidc.buildAuthorizationUrl(swaggerUi, {
    redirect_uri: redirectUri,
    scope: 'openid org:read',
    state: oidc.randomState(),
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  })
  const { url: landed } = await browser.follow(await browser.get(authorizationUrl), authorizationUrl.href, (next) => next.href.startsWith(redirectUri))
  return landed.href.startsWith(redirectUri) && landed.searchParams.has('code')
}

async function refreshFails(refreshToken: string) {
  try {
    await oidc.refreshTokenGrant(swaggerUi, refreshToken)
    return false
  } catch (error) {
    return (error as { error?: string }).error === 'invalid_grant'
  }
}

t.test('a password reset revokes sessions, grants and refresh tokens', async (t) => {
  const { userId, username, password, email } = org.superAdmin
  const first = await signInForReal(username, password)
  const second = await signInForReal(username, password)
  const models = new Set((await rowsOf(userId)).map((row) => row.model))
  t.ok(models.has('Session') && models.has('Grant') && models.has('RefreshToken'), `stored before: ${[...models].join(', ')}`)
  t.ok(await sessionStillSignsIn(first.browser), 'before the reset the session signs the browser in silently')

  const { queued } = await requestPasswordReset(db, { username, email, resetUrl: (token) => `${url}/account/reset-password?token=${token}` })
  await queued
  const mail = await db.selectFrom('mail_outbox').select('body_text').where('recipient', '=', email).where('template', '=', 'password-reset').executeTakeFirstOrThrow()
  const token = /token=([\w-]+)/.exec(mail.body_text)![1]!
  const reset = await app.inject({ method: 'POST', url: '/v1/account/password', payload: { token, password: 'Brand#New2026' } })
  t.equal(reset.statusCode, 200, reset.body)

  t.same(await rowsOf(userId), [], 'nothing of the account is left at the provider')
  t.ok(await refreshFails(first.refreshToken), 'the first refresh token is refused')
  t.ok(await refreshFails(second.refreshToken), 'and the second one')
  t.notOk(await sessionStillSignsIn(second.browser), 'the browser must sign in again')
})

t.test('disabling a user revokes their sessions, grants and refresh tokens', async (t) => {
  const superAdmin = minter.forUser(org.superAdmin.userId, { orgId: org.organisation.id })
  const groupId = await createGroup(app, superAdmin, org.organisation.id, { level: 'non_admin', name: 'Staff', rights: [{ menu: 'SSM_PERIZINAN', actions: ['view'] }] })
  const form = userForm('non_admin', groupId)
  const user = (await api(app, superAdmin, 'POST', `/v1/orgs/${org.organisation.id}/users`, form)).json()
  await db.updateTable('users').set({ status: 'active', password_hash: await hashPassword('Staff#Pass2026') }).where('id', '=', user.id).execute()
  const session = await signInForReal(form.username as string, 'Staff#Pass2026')
  t.ok((await rowsOf(user.id)).length >= 3)

  const disabled = await api(app, superAdmin, 'POST', `/v1/orgs/${org.organisation.id}/users/${user.id}/disable`)
  t.equal(disabled.statusCode, 200, disabled.body)
  t.same(await rowsOf(user.id), [])
  t.ok(await refreshFails(session.refreshToken), 'the refresh token is refused')
  const audit = await db.selectFrom('audit_events').select('after').where('action', '=', 'user.disabled').where('target_id', '=', user.id).executeTakeFirstOrThrow()
  t.match(audit.after, { sessionsRevoked: Number })
})
