/**
 * "Other options": signing in with an OSS or SSO Kemendag account through the sandbox identity
 * providers, over real HTTP, with the gateway as relying party. An account of the identity's
 * business is linked when the user confirms it (a verified email the IdP asserts too, or a
 * password sign-in in the same flow); an unknown external identity is told to register and
 * nothing is created. test/security/federated-linking-stays-in-organisation.test.ts has the rest.
 */
import * as oidc from 'openid-client'
import t from 'tap'
import { setupTestContext, startListeningApp } from '../helpers/app.ts'
import { formAction } from '../helpers/form-session.ts'
import { openLoginPage, submitLogin, swaggerUiClient } from '../helpers/oidc.ts'

const context = await setupTestContext(t)
const { app, url } = await startListeningApp(t, context)
const swaggerUi = await swaggerUiClient(url)
const created = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000001' } })
if (created.statusCode !== 201) throw new Error(`test organisation not created: ${created.body}`)
const org = created.json()
const redirectUri = `${url}/docs/oauth2-redirect.html`

/** From the gateway's login page, through the IdP's own login form, back to wherever the gateway sends the browser. */
async function federatedSignIn(provider: 'oss' | 'sso_kemendag', username: string, password: string) {
  const page = await openLoginPage(url, swaggerUi)
  const link = new RegExp(`href="(/interaction/[^"]+/federated/${provider})"`).exec(page.html)?.[1]
  if (!link) throw new Error(`no ${provider} link on the login page`)
  const { response: idpPage, url: idpUrl } = await page.browser.follow(await page.browser.get(new URL(link, url)), url)
  const idpHtml = await idpPage.text()
  const action = formAction(idpHtml)
  if (!action) throw new Error(`no login form at ${idpUrl}: ${idpHtml.slice(0, 200)}`)
  const posted = await page.browser.post(new URL(action, idpUrl), { username, password, action: 'login' }, { origin: idpUrl.origin })
  const result = await page.browser.follow(posted, idpUrl.href, (next) => next.href.startsWith(redirectUri))
  return { ...result, page, idpUrl, idpHtml }
}

t.test('the login page offers OSS and SSO Kemendag', async (t) => {
  const page = await openLoginPage(url, swaggerUi)
  t.match(page.html, /Sign in with an OSS account/)
  t.match(page.html, /Sign in with SSO Kemendag/)
})

t.test('an OSS account of a registered business signs in as the user with the same verified email, and is linked', async (t) => {
  const email = 'budi.santoso@imporsejahtera.sandbox.test'
  await app.db.updateTable('users').set({ email }).where('id', '=', org.superAdmin.userId).execute()
  await app.db
    .insertInto('account_contacts')
    .values({ user_id: org.superAdmin.userId, email_verified_at: new Date(), verified_email: email })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ email_verified_at: new Date(), verified_email: email }))
    .execute()
  const { url: callback, page, idpUrl } = await federatedSignIn('oss', 'budi.santoso', 'Sandbox#2026')
  t.equal(idpUrl.origin, new URL(context.sandbox.ossUrl).origin, 'the browser went to the OSS identity provider')
  t.ok(callback.href.startsWith(redirectUri), `back at the application (${callback.href})`)
  const tokens = await oidc.authorizationCodeGrant(swaggerUi, callback, { pkceCodeVerifier: page.verifier, expectedState: page.state })
  t.match(tokens.claims(), { sub: org.superAdmin.userId, org_id: org.organisation.id })
  const link = await app.db.selectFrom('external_identities').selectAll().where('provider', '=', 'oss').execute()
  t.match(link, [{ subject: 'oss-budi.santoso', user_id: org.superAdmin.userId }], 'the OSS identity is linked')

  const again = await federatedSignIn('oss', 'budi.santoso', 'Sandbox#2026')
  t.ok(again.url.href.startsWith(redirectUri), 'the linked identity signs in again')
})

t.test('an SSO Kemendag account of a registered business is linked by signing in once with the INSW password', async (t) => {
  const first = await federatedSignIn('sso_kemendag', 'siti.rahmawati', 'Sandbox#2026')
  t.equal(first.response.status, 200)
  t.match(await first.response.text(), /To link it, sign in once with your INSW username and password/)
  const linked = await submitLogin(url, first.page, org.superAdmin.username, org.superAdmin.password)
  t.ok(linked.callback.href.startsWith(redirectUri), 'the password sign-in finishes the flow')

  const { url: callback, page } = await federatedSignIn('sso_kemendag', 'siti.rahmawati', 'Sandbox#2026')
  const tokens = await oidc.authorizationCodeGrant(swaggerUi, callback, { pkceCodeVerifier: page.verifier, expectedState: page.state })
  t.match(tokens.claims(), { sub: org.superAdmin.userId })
  const me = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
  t.match(await me.json(), { kind: 'user', organisation: { nib: '8120000000001' } })
})

t.test('an external identity with no INSW account is told to register; nothing is created', async (t) => {
  const usersBefore = await app.db.selectFrom('users').select('id').execute()
  for (const [provider, username] of [['oss', 'ahmad.fauzi'], ['sso_kemendag', 'hendra.wijaya']] as const) {
    const { response, url: landed } = await federatedSignIn(provider, username, 'Sandbox#2026')
    t.equal(response.status, 403, `${provider}: refused`)
    t.notOk(landed.href.startsWith(redirectUri), `${provider}: no code for the application`)
    t.match(await response.text(), /not linked to an INSW account yet\. Register/)
  }
  const usersAfter = await app.db.selectFrom('users').select('id').execute()
  t.equal(usersAfter.length, usersBefore.length, 'no account was created')
  const links = await app.db.selectFrom('external_identities').select('subject').where('subject', 'in', ['oss-ahmad.fauzi', 'kemendag-hendra.wijaya']).execute()
  t.same(links, [], 'and nothing was linked')
})

t.test('a wrong password at the IdP never reaches the gateway', async (t) => {
  const { response, idpUrl } = await federatedSignIn('oss', 'budi.santoso', 'wrong')
  t.equal(new URL(response.url || idpUrl.href).origin, idpUrl.origin)
  t.notOk(response.headers.get('location')?.includes('/federated/oss/callback'), 'no redirect back')
})

t.test('a callback without the flow cookie is refused', async (t) => {
  const response = await fetch(`${url}/interaction/federated/oss/callback?code=forged&state=forged`, { redirect: 'manual' })
  t.equal(response.status, 400)
})
