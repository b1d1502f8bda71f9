/**
 * A registration run end to end through the HTTP API, as a tester would with Swagger UI and the
 * sandbox mailbox: register → operator approves → mail → verify email → set password → sign in →
 * GET /v1/me → first-login completion with the SMS code → re-sync from OSS.
 */
import t from 'tap'
import { setupTestContext, startListeningApp } from '../helpers/app.ts'
import { accessToken, formFor, IDENTITIES, minimalPdf, multipart, operatorToken } from './helpers.ts'

const context = await setupTestContext(t)
const { app, url } = await startListeningApp(t, context)

t.test('from the registration form to the new super admin signed in', async (t) => {
  const form = formFor(IDENTITIES.approved, { contact: { email: 'budi@impor-sejahtera.sandbox.test', mobile: '0812 3456 7890' } })
  const body = await multipart({ form, file: { content: minimalPdf() } })
  const submitted = await fetch(`${url}/v1/registrations`, { method: 'POST', body: new Uint8Array(body.payload), headers: body.headers })
  t.equal(submitted.status, 202)
  const receipt = (await submitted.json()) as { trackingNumber: string; statusUrl: string }

  const operator = await operatorToken(app, url)
  const approved = await fetch(`${url}/v1/operator/registrations/${receipt.trackingNumber}/approve`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operator.token}`, 'content-type': 'application/json' },
    body: '{}',
  })
  t.equal(approved.status, 200)
  const { superAdmin } = (await approved.json()) as { superAdmin: { username: string; userId: string } }
  t.equal(((await (await fetch(`${url}${receipt.statusUrl}`)).json()) as { status: string }).status, 'approved')

  await app.mailOutbox.flush()
  const mailbox = (await (await fetch(`${url}/v1/sandbox/mailbox?to=budi@impor-sejahtera.sandbox.test`)).json()) as { items: { text: string; template: string }[] }
  const mail = mailbox.items.find((item) => item.template === 'registration-approved')
  t.ok(mail, 'the approval mail is in the sandbox mailbox')
  t.match(mail!.text, `Username : ${superAdmin.username}`)
  const status = await context.database.handle.db.selectFrom('mail_outbox').select('status').where('template', '=', 'registration-approved').executeTakeFirstOrThrow()
  t.equal(status.status, 'sandbox', 'the worker delivered it to the sandbox mailbox')
  const verifyLink = new URL(/Verify email : (\S+)/.exec(mail!.text)![1]!)
  const setPasswordLink = new URL(/Set password : (\S+)/.exec(mail!.text)![1]!)
  t.equal(verifyLink.origin, url)

  const page = await fetch(`${url}/sandbox/mailbox?to=budi@impor-sejahtera.sandbox.test`)
  t.equal(page.status, 200)
  const pageHtml = await page.text()
  t.match(pageHtml, `href="${verifyLink.href.replaceAll('&', '&amp;')}"`, 'the mailbox page links the activation URLs')

  // The verify link opens a page; its button verifies (the GET alone spends nothing).
  const verifyPage = await fetch(verifyLink)
  t.equal(verifyPage.status, 200)
  t.match(await verifyPage.text(), /<form method="post" action="\/account\/verify-email/)
  const verified = await fetch(`${url}/account/verify-email`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
    body: new URLSearchParams({ token: verifyLink.searchParams.get('token')! }),
  })
  t.equal(verified.status, 200)
  const again = await fetch(`${url}/v1/account/email-verification`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: verifyLink.searchParams.get('token') }),
  })
  t.equal(again.status, 422, 'single use')

  const weak = await fetch(`${url}/v1/account/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: setPasswordLink.searchParams.get('token'), password: 'onlylowercase' }),
  })
  t.equal(weak.status, 422, 'the password rule is enforced')
  const set = await fetch(`${url}/v1/account/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: setPasswordLink.searchParams.get('token'), password: 'Sandbox#Pass2026' }),
  })
  t.equal(set.status, 200)
  t.same(await set.json(), { username: superAdmin.username, status: 'active', emailVerified: true })
  const reuse = await fetch(`${url}/v1/account/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: setPasswordLink.searchParams.get('token'), password: 'Another#Pass2026' }),
  })
  t.equal(reuse.status, 422, 'the set-password token works once')

  const token = await accessToken(url, superAdmin.username, 'Sandbox#Pass2026', 'openid profile email org:read org:admin')
  const auth = { authorization: `Bearer ${token}` }
  const me = (await (await fetch(`${url}/v1/me`, { headers: auth })).json()) as Record<string, unknown>
  t.match(me, { kind: 'user', user: { username: superAdmin.username, level: 'super_admin', status: 'active' }, organisation: { nib: IDENTITIES.approved.nib } })
  const rights = me.rights as { menu: string; actions: string[] }[]
  t.ok(rights.some((right) => right.menu === 'USER_MANAGEMENT' && right.actions.includes('create')), 'the new super admin can build their team at once')

  // First login: notification channels and the mobile number verified by a one-time code.
  const completion = await fetch(`${url}/v1/account/completion`, { headers: auth })
  t.match(await completion.json(), { emailVerified: true, mobile: '+6281234567890', mobileVerified: false, completed: false })
  const started = await fetch(`${url}/v1/account/completion`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ notificationChannels: ['email', 'sms'], mobile: '081234567890' }),
  })
  t.equal(started.status, 202)
  t.ok(((await started.json()) as { codeExpiresAt: string }).codeExpiresAt)
  const sms = (await (await fetch(`${url}/v1/sandbox/sms?to=081234567890`)).json()) as { items: { text: string }[] }
  const code = /(\d{6})/.exec(sms.items[0]!.text)![1]!
  const wrongCode = code === '000000' ? '111111' : '000000'
  const wrong = await fetch(`${url}/v1/account/completion/mobile-verification`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ code: wrongCode }) })
  t.equal(wrong.status, 422)
  t.match(await wrong.json(), { errors: [{ pointer: '/code', reason: 'otp_mismatch' }] })
  const right = await fetch(`${url}/v1/account/completion/mobile-verification`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ code }) })
  t.equal(right.status, 200)
  t.match(await right.json(), { notificationChannels: ['email', 'sms'], mobileVerified: true, completed: true })
  const replay = await fetch(`${url}/v1/account/completion/mobile-verification`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ code }) })
  t.equal(replay.status, 422, 'a code works once')

  // Re-sync: OSS changed the business's name; the super admin refreshes the profile.
  const organisationId = (me.organisation as { id: string }).id
  const identity = (await (await fetch(`${context.sandbox.ossUrl}/__sandbox/identities/${IDENTITIES.approved.nib}`)).json()) as { oss: Record<string, unknown> }
  const renamed = { ...identity, oss: { ...identity.oss, name: 'PT Sandbox Impor Sejahtera Tbk', lastChangedAt: '2026-11-20T01:00:00Z' } }
  const put = await fetch(`${context.sandbox.ossUrl}/__sandbox/identities/${IDENTITIES.approved.nib}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(renamed) })
  t.equal(put.status, 200)
  const synced = await fetch(`${url}/v1/orgs/${organisationId}/sync`, { method: 'POST', headers: auth })
  t.equal(synced.status, 200)
  const result = (await synced.json()) as { organisation: { name: string }; changes: { field: string; before: unknown; after: unknown }[] }
  t.equal(result.organisation.name, 'PT Sandbox Impor Sejahtera Tbk')
  t.same(result.changes.map((change) => change.field).sort(), ['name', 'ossLastChangedAt'])
  t.match(result.changes.find((change) => change.field === 'name'), { before: 'PT Sandbox Impor Sejahtera', after: 'PT Sandbox Impor Sejahtera Tbk' })
  const unchanged = (await (await fetch(`${url}/v1/orgs/${organisationId}/sync`, { method: 'POST', headers: auth })).json()) as { changes: unknown[] }
  t.same(unchanged.changes, [], 'a second sync finds nothing new')
  const other = (await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000002' } })).json()
  const foreign = await fetch(`${url}/v1/orgs/${other.organisation.id}/sync`, { method: 'POST', headers: auth })
  t.equal(foreign.status, 404, 'another organisation is not ours to sync')
  await fetch(`${context.sandbox.ossUrl}/__sandbox/reset`, { method: 'POST' })
})

t.test('OTP: expires, and limited attempts', async (t) => {
  const org = (await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000010' } })).json()
  const token = await accessToken(url, org.superAdmin.username, org.superAdmin.password)
  const auth = { authorization: `Bearer ${token}` }
  const start = () => app.inject({ method: 'PUT', url: '/v1/account/completion', headers: auth, payload: { notificationChannels: ['whatsapp'], mobile: '+6281111111111' } })
  t.equal((await start()).statusCode, 202)
  const attempt = (code: string) => app.inject({ method: 'POST', url: '/v1/account/completion/mobile-verification', headers: auth, payload: { code } })
  const sms = (await app.inject({ method: 'GET', url: '/v1/sandbox/sms?to=%2B6281111111111' })).json().items[0].text as string
  const code = /(\d{6})/.exec(sms)![1]!
  const wrongCode = code === '123456' ? '654321' : '123456'
  for (let i = 0; i < 5; i++) t.equal((await attempt(wrongCode)).statusCode, 422)
  const locked = await attempt(code)
  t.match(locked.json(), { errors: [{ reason: 'otp_attempts' }] }, 'after 5 wrong codes even the right one fails')

  // A minute passes: within the resend interval a new code would be refused (429).
  await context.database.handle.db.updateTable('mobile_verifications').set({ created_at: new Date(Date.now() - 120_000) }).execute()
  t.equal((await start()).statusCode, 202, 'a new code replaces the old one')
  await context.database.handle.db.updateTable('mobile_verifications').set({ expires_at: new Date(Date.now() - 1000) }).where('consumed_at', 'is', null).execute()
  const sms2 = (await app.inject({ method: 'GET', url: '/v1/sandbox/sms?to=%2B6281111111111' })).json().items[0].text as string
  const expired = await attempt(/(\d{6})/.exec(sms2)![1]!)
  t.match(expired.json(), { errors: [{ reason: 'otp_expired' }] })
  const bad = await app.inject({ method: 'PUT', url: '/v1/account/completion', headers: auth, payload: { notificationChannels: ['fax'], mobile: '+6281111111111' } })
  t.equal(bad.statusCode, 422, 'unknown channel')
})
