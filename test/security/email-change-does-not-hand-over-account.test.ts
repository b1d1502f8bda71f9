/**
 * Issue 8, item 3: changing a user's email does not hand the account over. An editor changes only
 * users whose rights they hold in full; a new email is pending until confirmed from that address
 * (the old address is told); forgot-password and mail links never go to an unverified address.
 */
import t from 'tap'
import { requestPasswordReset } from '../../src/modules/identity/accounts/service.ts'
import { api, createActiveUser, createGroup, createOrg, FULL_USER_MANAGEMENT, setupRbacTest, userToken } from '../helpers/orgs.ts'

const { context, app, minter, db } = await setupRbacTest(t)
const org = await createOrg(app, '8120000000001')
const superAdmin = userToken(minter, org.superAdmin.userId, org.orgId)

// An admin who manages users, but holds nothing on the licensing menu.
const adminGroup = await createGroup(app, superAdmin, org.orgId, { level: 'admin', name: 'User admins', rights: FULL_USER_MANAGEMENT })
const adminId = await createActiveUser(app, context, superAdmin, org.orgId, 'admin', adminGroup)
const admin = userToken(minter, adminId, org.orgId)
// A non-admin with approval rights the admin lacks, and one whose rights the admin holds.
const approvers = await createGroup(app, superAdmin, org.orgId, { level: 'non_admin', name: 'Approvers', rights: [{ menu: 'SSM_PERIZINAN', actions: ['view', 'approve'] }] })
const staff = await createGroup(app, superAdmin, org.orgId, { level: 'non_admin', name: 'Staff', rights: [{ menu: 'USER_MANAGEMENT', actions: ['view'] }] })
const approverId = await createActiveUser(app, context, superAdmin, org.orgId, 'non_admin', approvers)
const staffId = await createActiveUser(app, context, superAdmin, org.orgId, 'non_admin', staff)

/** As if the user had set their password through the invitation link: their address is proven. */
async function verify(userId: string) {
  const { email } = await db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirstOrThrow()
  await db.insertInto('account_contacts').values({ user_id: userId, email_verified_at: new Date(), verified_email: email }).onConflict((oc) => oc.column('user_id').doUpdateSet({ verified_email: email })).execute()
  return email
}

const mails = (to: string) => db.selectFrom('mail_outbox').selectAll().where('recipient', '=', to).orderBy('created_at').execute()

/** Forgot-password as the page does it, waiting for the deferred mail step. */
async function forgot(username: string, email: string) {
  const { queued } = await requestPasswordReset(db, { username, email, resetUrl: (token) => `http://gateway.test/account/reset-password?token=${token}` })
  await queued
}

t.test('an editor cannot change a user holding rights the editor lacks', async (t) => {
  await verify(approverId)
  const response = await api(app, admin, 'PATCH', `/v1/orgs/${org.orgId}/users/${approverId}`, { email: 'attacker@evil.example' })
  t.equal(response.statusCode, 403, response.body)
  t.match(response.json(), { code: 'FORBIDDEN', detail: /they hold "(view|approve)" on SSM Licensing/ })
  const row = await db.selectFrom('users').select(['email', 'pending_email']).where('id', '=', approverId).executeTakeFirstOrThrow()
  t.not(row.email, 'attacker@evil.example')
  t.equal(row.pending_email, null)
  const other = await api(app, admin, 'PATCH', `/v1/orgs/${org.orgId}/users/${approverId}`, { position: 'Something else' })
  t.equal(other.statusCode, 403, 'nor any other field of theirs')
})

t.test('a changed email is pending: the old address stays, is told, and gets every reset', async (t) => {
  const oldEmail = await verify(staffId)
  const { username } = await db.selectFrom('users').select('username').where('id', '=', staffId).executeTakeFirstOrThrow()
  const response = await api(app, admin, 'PATCH', `/v1/orgs/${org.orgId}/users/${staffId}`, { email: 'new.address@evil.example' })
  t.equal(response.statusCode, 200, response.body)
  t.match(response.json(), { email: oldEmail, emailVerified: true, pendingEmail: 'new.address@evil.example' })

  const confirmation = await mails('new.address@evil.example')
  t.match(confirmation, [{ template: 'email-change-confirmation', body_text: /\/account\/verify-email\?token=/ }], 'only a confirmation link goes to the new address')
  t.match(await mails(oldEmail), [{ template: 'org-user-invitation' }, { template: 'email-change-notice', body_text: /new\.address@evil\.example/ }], 'the old address is told')

  await forgot(username, 'new.address@evil.example')
  t.equal((await mails('new.address@evil.example')).length, 1, 'no reset link reaches the unconfirmed address')
  await forgot(username, oldEmail)
  t.equal((await mails(oldEmail)).filter((mail) => mail.template === 'password-reset').length, 1, 'the verified address still gets one')
})

t.test('the link from the new address confirms the change; a superseded link does not', async (t) => {
  const first = (await mails('new.address@evil.example'))[0]!
  const firstToken = new URL(/(http:\/\/\S+)/.exec(first.body_text)![1]!).searchParams.get('token')!
  const again = await api(app, admin, 'PATCH', `/v1/orgs/${org.orgId}/users/${staffId}`, { email: 'second@sandbox.example' })
  t.equal(again.json().pendingEmail, 'second@sandbox.example')
  const stale = await app.inject({ method: 'POST', url: '/v1/account/email-verification', payload: { token: firstToken } })
  t.equal(stale.statusCode, 422, 'the first link was retired by the second change')

  const [mail] = await mails('second@sandbox.example')
  const token = new URL(/(http:\/\/\S+)/.exec(mail!.body_text)![1]!).searchParams.get('token')!
  const confirmed = await app.inject({ method: 'POST', url: '/v1/account/email-verification', payload: { token } })
  t.equal(confirmed.statusCode, 200, confirmed.body)
  const user = await api(app, admin, 'GET', `/v1/orgs/${org.orgId}/users/${staffId}`)
  t.match(user.json(), { email: 'second@sandbox.example', emailVerified: true, pendingEmail: null })
  const audit = await db.selectFrom('audit_events').select(['action', 'after']).where('action', '=', 'user.email_changed').where('target_id', '=', staffId).execute()
  t.match(audit, [{ after: { email: 'second@sandbox.example' } }])
})

t.test('forgot-password never mails an unverified address', async (t) => {
  const freshId = await createActiveUser(app, context, superAdmin, org.orgId, 'non_admin', staff)
  const { username, email } = await db.selectFrom('users').select(['username', 'email']).where('id', '=', freshId).executeTakeFirstOrThrow()
  await forgot(username, email)
  t.same((await mails(email)).map((mail) => mail.template), ['org-user-invitation'], 'only the invitation, no reset link')
})

t.test('the current, verified address again cancels a pending change', async (t) => {
  const current = (await db.selectFrom('users').select('email').where('id', '=', staffId).executeTakeFirstOrThrow()).email
  await api(app, admin, 'PATCH', `/v1/orgs/${org.orgId}/users/${staffId}`, { email: 'third@sandbox.example' })
  const back = await api(app, admin, 'PATCH', `/v1/orgs/${org.orgId}/users/${staffId}`, { email: current.toUpperCase() })
  t.match(back.json(), { email: current, pendingEmail: null, emailVerified: true })
  const live = await db.selectFrom('one_time_tokens').select('token_hash').where('user_id', '=', staffId).where('purpose', '=', 'confirm_email_change').where('consumed_at', 'is', null).execute()
  t.same(live, [], 'no confirmation link is left alive')
})

t.test('an unverified current address can be sent a confirmation link again, and then gets resets', async (t) => {
  const freshId = await createActiveUser(app, context, superAdmin, org.orgId, 'non_admin', staff)
  const { username, email } = await db.selectFrom('users').select(['username', 'email']).where('id', '=', freshId).executeTakeFirstOrThrow()
  const again = await api(app, admin, 'PATCH', `/v1/orgs/${org.orgId}/users/${freshId}`, { email })
  t.match(again.json(), { email, emailVerified: false, pendingEmail: email })
  const confirmation = (await mails(email)).find((mail) => mail.template === 'email-change-confirmation')
  t.ok(confirmation, 'a confirmation link went to the address')
  t.notOk((await mails(email)).some((mail) => mail.template === 'email-change-notice'), 'no "your email is changing" notice for the same address')
  const token = new URL(/(http:\/\/\S+)/.exec(confirmation!.body_text)![1]!).searchParams.get('token')!
  t.equal((await app.inject({ method: 'POST', url: '/v1/account/email-verification', payload: { token } })).statusCode, 200)
  await forgot(username, email)
  t.ok((await mails(email)).some((mail) => mail.template === 'password-reset'), 'now verified, the address gets a reset link')
})
