/**
 * People-facing account pages: lockout after repeated failures, inactive accounts, and the
 * forgot-password / reset-password round trip through the sandbox mailbox.
 */
import t from 'tap'
import { LOCKOUT_THRESHOLD, lockDuration } from '../../src/modules/identity/accounts/service.ts'
import { passwordProblems } from '../../src/modules/identity/accounts/password-policy.ts'
import { hashPassword, verifyPassword } from '../../src/modules/identity/accounts/password-hash.ts'
import { setupTestContext, startListeningApp } from '../helpers/app.ts'
import { FormSession, hiddenField } from '../helpers/form-session.ts'
import { mailbox, waitForMail } from '../helpers/mailbox.ts'
import { openLoginPage, signIn, submitLogin, swaggerUiClient } from '../helpers/oidc.ts'

const context = await setupTestContext(t)
const { app, url } = await startListeningApp(t, context)
const swaggerUi = await swaggerUiClient(url)

async function newOrganisation(nib: string) {
  const response = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib } })
  if (response.statusCode !== 201) throw new Error(`test organisation not created: ${response.body}`)
  return response.json()
}

t.test('password rule: 8+ characters with a digit, upper, lower and punctuation', async (t) => {
  t.equal(passwordProblems('Sandbox#2026'), undefined)
  t.match(passwordProblems('short1!'), { en: /at least 8 characters/ })
  t.match(passwordProblems('alllowercase1!'), { en: /upper-case/ })
  t.match(passwordProblems('ALLUPPERCASE1!'), { en: /lower-case/ })
  t.match(passwordProblems('NoDigitsHere!'), { en: /digit/ })
  t.match(passwordProblems('NoPunctuation1'), { en: /punctuation/, id: /tanda baca/ })
})

t.test('passwords are stored as scrypt hashes with their parameters', async (t) => {
  const stored = await hashPassword('Sandbox#2026')
  t.match(stored, /^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/)
  t.ok(await verifyPassword('Sandbox#2026', stored))
  t.notOk(await verifyPassword('Sandbox#2027', stored))
  t.not(await hashPassword('Sandbox#2026'), stored, 'salted')
})

t.test('each lockout lasts twice as long as the previous one, capped at a day', async (t) => {
  t.equal(lockDuration(0), 5 * 60_000)
  t.equal(lockDuration(1), 10 * 60_000)
  t.equal(lockDuration(3), 40 * 60_000)
  t.equal(lockDuration(20), 24 * 3600_000)
})

t.test(`after ${LOCKOUT_THRESHOLD} failed logins this source is refused alike, even with the right password`, async (t) => {
  const org = await newOrganisation('8120000000010')
  const { username, password } = org.superAdmin
  const answers: string[] = []
  for (let attempt = 1; attempt <= LOCKOUT_THRESHOLD; attempt++) {
    const { response } = await signIn(url, swaggerUi, username, 'Wrong-password-1!')
    t.equal(response.status, 401, `attempt ${attempt}: wrong password`)
    answers.push(/<p class="error"[^>]*>([^<]*)</.exec(await response.text())![1]!)
  }
  const rightPassword = await signIn(url, swaggerUi, username, password)
  t.equal(rightPassword.response.status, 401, 'the right password does not open the lock of this source')
  const lockedAnswer = /<p class="error"[^>]*>([^<]*)</.exec(await rightPassword.response.text())![1]
  t.equal(lockedAnswer, answers[0], 'and the locked source reads the same words as a wrong password')
  t.match(lockedAnswer, /sign-in from this device pauses/)

  // Time passes: the lock expires, and the right password works again.
  await app.db.updateTable('login_failures').set({ locked_until: new Date(Date.now() - 1000) }).where('username', '=', username.toLowerCase()).execute()
  const afterLock = await signIn(url, swaggerUi, username, password)
  t.ok(afterLock.callback.searchParams.get('code'), 'signed in once the lock has expired')
  const rows = await app.db.selectFrom('login_failures').selectAll().where('username', '=', username.toLowerCase()).execute()
  t.same(rows, [], 'a success clears the record of its source')
})

t.test('an unknown username gets the same answer as a wrong password', async (t) => {
  const { response } = await signIn(url, swaggerUi, 'USER.19990101.01.00001', 'Whatever#2026')
  t.equal(response.status, 401)
  t.match(await response.text(), /The username or password is wrong/)
})

t.test('a disabled account cannot sign in, and says so only after a correct password', async (t) => {
  const org = await newOrganisation('8120000000011')
  await app.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', org.superAdmin.userId).execute()
  const { response } = await signIn(url, swaggerUi, org.superAdmin.username, org.superAdmin.password)
  t.equal(response.status, 403)
  t.match(await response.text(), /not active/)
  await app.db.updateTable('users').set({ status: 'active' }).where('id', '=', org.superAdmin.userId).execute()
})

t.test('forgot password: a single-use link by email, the password rule, then sign-in with the new password', async (t) => {
  const org = await newOrganisation('8120000000002')
  const { username, email } = org.superAdmin
  const browser = new FormSession({ origin: url })
  const form = await browser.get(`${url}/account/forgot-password`)
  t.match(await form.text(), /Forgot password/)

  const wrongPair = await browser.post(`${url}/account/forgot-password`, { email: 'someone@else.example', username })
  t.match(await wrongPair.text(), /If the email and username belong to an account/, 'the same answer whether or not they match')
  const requested = await browser.post(`${url}/account/forgot-password`, { email: email.toUpperCase(), username })
  t.equal(requested.status, 200)

  await waitForMail(app, email)
  await new Promise((resolve) => setTimeout(resolve, 100))
  const mails = await mailbox(app, email)
  t.equal(mails.length, 1, 'exactly one mail: the mismatching request sent nothing')
  const link = /(http:\/\/\S+\/account\/reset-password\?token=\S+)/.exec(mails[0]?.text ?? "")?.[1]
  if (!link) throw new Error('no reset link in the mail')
  const token = new URL(link).searchParams.get('token')!
  const stored = await app.db.selectFrom('one_time_tokens').select('token_hash').where('user_id', '=', org.superAdmin.userId).execute()
  t.notOk(stored.some((row) => row.token_hash === token), 'only a digest of the token is stored')

  const page = await browser.get(link)
  t.equal(hiddenField(await page.text(), 'token'), token)
  const weak = await browser.post(`${url}/account/reset-password`, { token, password: 'weakpass', confirm: 'weakpass' })
  t.equal(weak.status, 422)
  t.match(await weak.text(), /upper-case letter/)
  const mismatch = await browser.post(`${url}/account/reset-password`, { token, password: 'Fresh#Pass2026', confirm: 'Fresh#Pass2027' })
  t.equal(mismatch.status, 422)
  const done = await browser.post(`${url}/account/reset-password`, { token, password: 'Fresh#Pass2026', confirm: 'Fresh#Pass2026' })
  t.equal(done.status, 200)
  t.match(await done.text(), /Your password is set/)
  const again = await browser.post(`${url}/account/reset-password`, { token, password: 'Other#Pass2026', confirm: 'Other#Pass2026' })
  t.equal(again.status, 422, 'the link works once')
  t.match(await again.text(), /invalid, expired or already used/)

  const old = await signIn(url, swaggerUi, username, org.superAdmin.password)
  t.equal(old.response.status, 401, 'the old password no longer works')
  const fresh = await signIn(url, swaggerUi, username, 'Fresh#Pass2026')
  t.ok(fresh.callback.searchParams.get('code'), 'the new password does')
})

t.test('an expired reset link is refused', async (t) => {
  const org = await newOrganisation('8120000000007')
  const browser = new FormSession({ origin: url })
  await browser.post(`${url}/account/forgot-password`, { email: org.superAdmin.email, username: org.superAdmin.username })
  const [mail] = await waitForMail(app, org.superAdmin.email)
  if (!mail) throw new Error('no reset mail')
  const token = new URL(/(http:\/\/\S+)/.exec(mail.text)![1]!).searchParams.get('token')!
  await app.db.updateTable('one_time_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('user_id', '=', org.superAdmin.userId).execute()
  const response = await browser.post(`${url}/account/reset-password`, { token, password: 'Fresh#Pass2026', confirm: 'Fresh#Pass2026' })
  t.equal(response.status, 422)
})

t.test('login attempts are rate-limited per username', async (t) => {
  // A fresh instance, so the budgets spent by the tests above do not count.
  const fresh = await startListeningApp(t, context)
  const page = await openLoginPage(fresh.url, await swaggerUiClient(fresh.url))
  const statuses: number[] = []
  for (let i = 0; i < 12; i++) {
    statuses.push((await submitLogin(fresh.url, page, 'USER.20000101.01.99999', 'Wrong-password-1!')).response.status)
  }
  t.ok(statuses.includes(429), `a burst on one username is slowed down (${statuses.join(',')})`)
  t.equal(statuses.indexOf(429), 10, 'after the per-username budget of 10 a minute')
})
