/**
 * The "done" scenario with real tokens from the provider (HTML sign-in, code + PKCE,
 * client credentials): a super admin creates an admin group and an admin; the admin, once they
 * set their password from the emailed link, creates a narrower non-admin and a surveyor client;
 * each sees exactly their rights in /v1/me, and the audit log shows all of it.
 */
import * as oidc from 'openid-client'
import t from 'tap'
import { setPasswordWithToken } from '../../src/modules/identity/accounts/service.ts'
import { setupTestContext, startListeningApp } from '../helpers/app.ts'
import { machineClient, signIn, swaggerUiClient } from '../helpers/oidc.ts'
import { userForm } from '../helpers/orgs.ts'

const context = await setupTestContext(t)
const { app, url } = await startListeningApp(t, context)
const created = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000001' } })
if (created.statusCode !== 201) throw new Error(`test organisation not created: ${created.body}`)
const org = created.json()
const orgId: string = org.organisation.id
const swaggerUi = await swaggerUiClient(url)
const SCOPE = 'openid profile email org:read org:admin'

async function accessTokenOf(username: string, password: string): Promise<string> {
  const { callback, verifier, state } = await signIn(url, swaggerUi, username, password, SCOPE)
  const tokens = await oidc.authorizationCodeGrant(swaggerUi, callback, { pkceCodeVerifier: verifier, expectedState: state })
  return tokens.access_token
}

async function call(token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> & { items?: Record<string, unknown>[] } }
}

/** Follows the emailed link's token to set a password, as the account page does. */
async function activate(email: string, password: string): Promise<void> {
  const mailbox = await app.inject({ method: 'GET', url: `/v1/sandbox/mailbox?to=${encodeURIComponent(email)}` })
  const text: string = mailbox.json().items[0]?.text ?? ''
  const token = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(text)?.[1]
  if (!token) throw new Error(`no set-password link mailed to ${email}`)
  await setPasswordWithToken(context.database.handle.db, token, password)
}

t.test('super admin → admin group and admin → non-admin with narrower rights and a surveyor client', async (t) => {
  const superToken = await accessTokenOf(org.superAdmin.username, org.superAdmin.password)

  const adminGroup = await call(superToken, 'POST', `/v1/orgs/${orgId}/groups`, {
    level: 'admin',
    name: 'Admin Perizinan',
    rights: [
      { menu: 'USER_MANAGEMENT', actions: ['create', 'view', 'edit', 'delete'] },
      { menu: 'API_CATALOGUE', actions: ['create', 'view', 'edit', 'delete'] },
      { menu: 'PELAPORAN_REALISASI', actions: ['create', 'view'] },
      { menu: 'SSM_PERIZINAN', actions: ['create', 'view', 'edit'] },
    ],
  })
  t.equal(adminGroup.status, 201, 'admin group created')
  const adminForm = userForm('admin', adminGroup.body.id as string)
  const admin = await call(superToken, 'POST', `/v1/orgs/${orgId}/users`, adminForm)
  t.equal(admin.status, 201, 'admin user created')
  await activate(adminForm.email as string, 'Admin#Pass2026')
  const adminToken = await accessTokenOf(adminForm.username as string, 'Admin#Pass2026')

  const staffGroup = await call(adminToken, 'POST', `/v1/orgs/${orgId}/groups`, {
    level: 'non_admin',
    name: 'Staf Perizinan',
    rights: [{ menu: 'SSM_PERIZINAN', actions: ['view'] }, { menu: 'PELAPORAN_REALISASI', enabled: false, actions: ['view'] }],
  })
  t.equal(staffGroup.status, 201, 'the admin creates a narrower non-admin group')
  const staffForm = userForm('non_admin', staffGroup.body.id as string)
  const staff = await call(adminToken, 'POST', `/v1/orgs/${orgId}/users`, staffForm)
  t.equal(staff.status, 201, 'and a non-admin in it')
  const surveyor = await call(adminToken, 'POST', `/v1/orgs/${orgId}/clients`, { name: 'PT Surveyor Mitra', kind: 'surveyor', scopes: ['reports:write'] })
  t.equal(surveyor.status, 201, 'and a surveyor client')
  await activate(staffForm.email as string, 'Staff#Pass2026')
  const staffToken = await accessTokenOf(staffForm.username as string, 'Staff#Pass2026')

  const superMe = await call(superToken, 'GET', '/v1/me')
  t.equal((superMe.body.rights as unknown[]).length, 9, 'the super admin holds every menu of the organisation')
  const adminMe = await call(adminToken, 'GET', '/v1/me')
  t.same(adminMe.body.rights, [
    { menu: 'SSM_PERIZINAN', actions: ['create', 'view', 'edit'] },
    { menu: 'PELAPORAN_REALISASI', actions: ['create', 'view'] },
    { menu: 'API_CATALOGUE', actions: ['create', 'view', 'edit', 'delete'] },
    { menu: 'USER_MANAGEMENT', actions: ['create', 'view', 'edit', 'delete'] },
  ])
  const staffMe = await call(staffToken, 'GET', '/v1/me')
  t.same(staffMe.body.rights, [{ menu: 'SSM_PERIZINAN', actions: ['view'] }], 'the non-admin: View on SSM Perizinan only (the disabled menu grants nothing)')
  t.equal((await call(staffToken, 'GET', `/v1/orgs/${orgId}/users`)).status, 403, 'and cannot list users')

  const credentials = surveyor.body as { client: { clientId: string }; clientSecret: string }
  const surveyorConfig = await machineClient(url, { clientId: credentials.client.clientId, clientSecret: credentials.clientSecret })
  const surveyorToken = (await oidc.clientCredentialsGrant(surveyorConfig, { scope: 'reports:write' })).access_token
  const surveyorMe = await call(surveyorToken, 'GET', '/v1/me')
  t.match(surveyorMe.body, { kind: 'client', client: { kind: 'surveyor' }, scopes: [{ scope: 'reports:write' }] })

  const audit = await call(superToken, 'GET', `/v1/orgs/${orgId}/audit-events?limit=100`)
  t.equal(audit.status, 200)
  const actions = (audit.body.items ?? []).map((item) => item.action)
  for (const action of ['group.created', 'user.created', 'client.created', 'account.password_set', 'login.succeeded']) t.ok(actions.includes(action), `the audit log shows ${action}`)
  t.equal(actions.filter((action) => action === 'group.created').length, 2)
  t.equal(actions.filter((action) => action === 'user.created').length, 2)
  t.ok(actions.filter((action) => action === 'login.succeeded').length >= 3, 'three people signed in')
})
