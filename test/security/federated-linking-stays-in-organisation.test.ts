/**
 * Issue 8, item 1: federated sign-in never crosses organisations. An external identity links only
 * to a user of the organisation whose NIB it carries, and only with that user's confirmation (a
 * verified email the IdP also asserts as verified, or a password sign-in in the same flow).
 * Links made before the rule are dropped by the migration.
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as oidc from 'openid-client'
import t from 'tap'
import { MIGRATIONS_DIR, migrate } from '../../src/db/migrator.ts'
import { setupTestContext, startListeningApp, testConfig } from '../helpers/app.ts'
import { openTestDatabase } from '../helpers/database.ts'
import { formAction } from '../helpers/form-session.ts'
import { api, createGroup, FULL_USER_MANAGEMENT, userForm } from '../helpers/orgs.ts'
import { openLoginPage, submitLogin, swaggerUiClient } from '../helpers/oidc.ts'
import { tokenMinter } from '../helpers/tokens.ts'

const context = await setupTestContext(t)
const { app, url } = await startListeningApp(t, context)
const db = context.database.handle.db
const swaggerUi = await swaggerUiClient(url)
const minter = tokenMinter(app, testConfig({ PUBLIC_URL: url }))
const redirectUri = `${url}/docs/oauth2-redirect.html`

async function testOrg(nib: string) {
  const created = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib } })
  if (created.statusCode !== 201) throw new Error(`test organisation not created: ${created.body}`)
  return created.json()
}
// Siti (SSO Kemendag) and Budi (OSS) work for 8120000000001; another business has 8120000000010.
const home = await testOrg('8120000000001')
const other = await testOrg('8120000000010')

async function federatedSignIn(provider: 'oss' | 'sso_kemendag', username: string) {
  const page = await openLoginPage(url, swaggerUi)
  const link = new RegExp(`href="(/interaction/[^"]+/federated/${provider})"`).exec(page.html)?.[1]
  if (!link) throw new Error(`no ${provider} link on the login page`)
  const { response: idpPage, url: idpUrl } = await page.browser.follow(await page.browser.get(new URL(link, url)), url)
  const action = formAction(await idpPage.text())
  if (!action) throw new Error('no IdP login form')
  const posted = await page.browser.post(new URL(action, idpUrl), { username, password: 'Sandbox#2026', action: 'login' }, { origin: idpUrl.origin })
  const result = await page.browser.follow(posted, idpUrl.href, (next) => next.href.startsWith(redirectUri))
  return { ...result, page, signedIn: result.url.href.startsWith(redirectUri) }
}

async function subjectOf(callback: URL, page: Awaited<ReturnType<typeof openLoginPage>>) {
  const tokens = await oidc.authorizationCodeGrant(swaggerUi, callback, { pkceCodeVerifier: page.verifier, expectedState: page.state })
  return tokens.claims()?.sub
}

const links = () => db.selectFrom('external_identities').selectAll().execute()

t.test('a user named after a Kemendag username in another organisation does not capture the sign-in', async (t) => {
  const adminToken = minter.forUser(other.superAdmin.userId, { orgId: other.organisation.id, scope: 'openid org:read org:admin' })
  const groupId = await createGroup(app, adminToken, other.organisation.id, { level: 'admin', name: 'Capture', rights: FULL_USER_MANAGEMENT })
  const squat = await api(app, adminToken, 'POST', `/v1/orgs/${other.organisation.id}/users`, userForm('admin', groupId, { username: 'siti.rahmawati' }))
  t.equal(squat.statusCode, 201, 'the look-alike user exists')
  await db.updateTable('users').set({ status: 'active' }).where('id', '=', squat.json().id).execute()

  const { response, signedIn } = await federatedSignIn('sso_kemendag', 'siti.rahmawati')
  t.notOk(signedIn, 'no code was issued')
  t.equal(response.status, 200)
  t.match(await response.text(), /not linked to an INSW account yet\. To link it, sign in once with your INSW username and password/)
  t.same(await links(), [], 'nothing was linked')
})

t.test('OSS no longer falls back to the super admin of the NIB: the person is told how to link', async (t) => {
  const { response, signedIn } = await federatedSignIn('oss', 'budi.santoso')
  t.notOk(signedIn)
  t.match(await response.text(), /Link your OSS account/)
  t.same(await links(), [])
})

t.test('an email that matches but is not verified locally links nothing', async (t) => {
  await db.updateTable('users').set({ email: 'budi.santoso@imporsejahtera.sandbox.test' }).where('id', '=', home.superAdmin.userId).execute()
  await db.deleteFrom('account_contacts').where('user_id', '=', home.superAdmin.userId).execute()
  const { signedIn } = await federatedSignIn('oss', 'budi.santoso')
  t.notOk(signedIn)
  t.same(await links(), [])
})

t.test('a matching verified email links within the organisation (OSS asserts email_verified)', async (t) => {
  await db.insertInto('account_contacts').values({ user_id: home.superAdmin.userId, email_verified_at: new Date(), verified_email: 'budi.santoso@imporsejahtera.sandbox.test' }).execute()
  const { url: callback, page, signedIn } = await federatedSignIn('oss', 'budi.santoso')
  t.ok(signedIn)
  t.equal(await subjectOf(callback, page), home.superAdmin.userId)
  t.match(await links(), [{ provider: 'oss', subject: 'oss-budi.santoso', user_id: home.superAdmin.userId, nib: '8120000000001', linked_by: 'verified_email' }])
})

t.test('signing in with a password of another organisation does not link; of the same organisation it does', async (t) => {
  // Kemendag asserts no email_verified: Siti links by signing in with her INSW password.
  const first = await federatedSignIn('sso_kemendag', 'siti.rahmawati')
  t.notOk(first.signedIn)
  const wrongOrg = await submitLogin(url, first.page, other.superAdmin.username, other.superAdmin.password)
  t.ok(wrongOrg.callback.href.startsWith(redirectUri), 'the password sign-in itself works')
  t.equal(await subjectOf(wrongOrg.callback, first.page), other.superAdmin.userId)
  t.same(await db.selectFrom('external_identities').select('user_id').where('provider', '=', 'sso_kemendag').execute(), [], 'but no cross-organisation link')

  const second = await federatedSignIn('sso_kemendag', 'siti.rahmawati')
  t.notOk(second.signedIn)
  const sameOrg = await submitLogin(url, second.page, home.superAdmin.username, home.superAdmin.password)
  t.equal(await subjectOf(sameOrg.callback, second.page), home.superAdmin.userId)
  t.match(await db.selectFrom('external_identities').selectAll().where('provider', '=', 'sso_kemendag').execute(), [
    { subject: 'kemendag-siti.rahmawati', user_id: home.superAdmin.userId, linked_by: 'password_sign_in' },
  ])
  const audit = await db.selectFrom('audit_events').select(['action', 'target_id']).where('action', '=', 'user.federated_linked').execute()
  t.equal(audit.length, 2, 'each link is audited')

  const direct = await federatedSignIn('sso_kemendag', 'siti.rahmawati')
  t.ok(direct.signedIn, 'from then on the external account signs in directly')
  t.equal(await subjectOf(direct.url, direct.page), home.superAdmin.userId)
})

t.test('a link stops working when the organisation no longer has the NIB', async (t) => {
  await db.updateTable('external_identities').set({ user_id: other.superAdmin.userId }).where('provider', '=', 'sso_kemendag').execute()
  const { signedIn } = await federatedSignIn('sso_kemendag', 'siti.rahmawati')
  t.notOk(signedIn, 'a link pointing into another organisation is not honoured')
})

t.test('the migration drops links made without confirmation, and audits the drop', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'migrations-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const files = (await readdir(MIGRATIONS_DIR)).filter((name) => name.endsWith('.sql')).sort()
  const before = files.filter((name) => name < '0006')
  for (const name of before) await cp(path.join(MIGRATIONS_DIR, name), path.join(dir, name))
  const old = await openTestDatabase({ migrate: false })
  t.teardown(() => old.close())
  await migrate(old.handle, dir)
  const oldDb = old.handle.db
  const org = await oldDb.insertInto('organisations').values({ nib: '8120000000001', name: 'Old' }).returning('id').executeTakeFirstOrThrow()
  const user = await oldDb
    .insertInto('users')
    .values({ organisation_id: org.id, username: 'old.user', email: 'old@sandbox.example', full_name: 'Old', level: 'super_admin', status: 'active' })
    .returning('id')
    .executeTakeFirstOrThrow()
  // Columns of the old table only: the link an admin's look-alike username captured.
  await oldDb.insertInto('external_identities').values({ provider: 'sso_kemendag', subject: 'kemendag-siti.rahmawati', user_id: user.id } as never).execute()

  const result = await migrate(old.handle)
  t.ok(result.applied.some((name) => name.startsWith('0006')))
  t.same(await oldDb.selectFrom('external_identities').selectAll().execute(), [])
  t.match(await oldDb.selectFrom('audit_events').select(['action', 'actor_kind', 'target_id']).where('action', '=', 'user.federated_link_dropped').execute(), [
    { actor_kind: 'system', target_id: user.id },
  ])
})
