/**
 * Operators screen registrations: listing with filters and pages, reading with the document,
 * approving (organisation from OSS, super admin, mail), rejecting, the audit trail, concurrent
 * approvals, and who may download the power of attorney.
 */
import t from 'tap'
import { setupTestContext, startListeningApp } from '../helpers/app.ts'
import { accessToken, formFor, IDENTITIES, minimalPdf, operatorToken, submit } from './helpers.ts'

const context = await setupTestContext(t)
const { app, url } = await startListeningApp(t, context)
const operator = await operatorToken(app, url)
const auth = { authorization: `Bearer ${operator.token}` }
const pdf = minimalPdf()

async function register(form: Record<string, unknown>, withPdf = true): Promise<string> {
  const response = await submit(app, { form, ...(withPdf ? { file: { content: pdf } } : {}) })
  if (response.statusCode !== 202) throw new Error(`registration refused: ${response.body}`)
  return response.json().trackingNumber
}

t.test('only platform operators: no token 401, a super admin 403', async (t) => {
  t.equal((await app.inject({ method: 'GET', url: '/v1/operator/registrations' })).statusCode, 401)
  const org = (await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000006' } })).json()
  const token = await accessToken(url, org.superAdmin.username, org.superAdmin.password, 'openid registrations:read')
  const response = await app.inject({ method: 'GET', url: '/v1/operator/registrations', headers: { authorization: `Bearer ${token}` } })
  t.equal(response.statusCode, 403)
  t.equal(response.json().code, 'FORBIDDEN')
})

t.test('list (filtered, paged), read with the document, approve, and the registrant sees it', async (t) => {
  const first = await register(formFor(IDENTITIES.approved))
  const second = await register(formFor(IDENTITIES.exporter16), false)
  const page1 = await app.inject({ method: 'GET', url: '/v1/operator/registrations?status=pending_review&limit=1', headers: auth })
  t.equal(page1.statusCode, 200, page1.body)
  t.equal(page1.json().items.length, 1)
  t.equal(page1.json().items[0].trackingNumber, second, 'newest first')
  t.match(page1.json().next, /^\/v1\/operator\/registrations\?status=pending_review&limit=1&cursor=/)
  const page2 = await app.inject({ method: 'GET', url: page1.json().next, headers: auth })
  t.equal(page2.json().items[0].trackingNumber, first)

  const detail = await app.inject({ method: 'GET', url: `/v1/operator/registrations/${first}`, headers: auth })
  t.equal(detail.statusCode, 200, detail.body)
  t.match(detail.json(), {
    status: 'pending_review',
    form: { nib: IDENTITIES.approved.nib, npwp: IDENTITIES.approved.npwp, applicant: { identityNumber: IDENTITIES.approved.nik } },
    powerOfAttorney: { sizeBytes: pdf.length, url: `/v1/registrations/${first}/power-of-attorney` },
    history: [{ event: 'submitted', actor: null }],
  })
  t.notOk(JSON.stringify(detail.json().ossProfile).includes(IDENTITIES.approved.nik), 'the OSS snapshot keeps no NIK')
  const document = await app.inject({ method: 'GET', url: detail.json().powerOfAttorney.url, headers: auth })
  t.equal(document.statusCode, 200)
  t.equal(document.headers['content-type'], 'application/pdf')
  t.match(document.headers['content-disposition'], /^attachment;/)
  t.equal(document.headers['x-content-type-options'], 'nosniff')
  t.same(document.rawPayload, pdf)
  t.equal((await app.inject({ method: 'GET', url: detail.json().powerOfAttorney.url })).statusCode, 401, 'never public')

  const approved = await app.inject({ method: 'POST', url: `/v1/operator/registrations/${first}/approve`, headers: auth, payload: { note: 'Surat kuasa sesuai.' } })
  t.equal(approved.statusCode, 200, approved.body)
  const result = approved.json()
  t.match(result, { status: 'approved', organisation: { nib: IDENTITIES.approved.nib, name: 'PT Sandbox Impor Sejahtera' }, superAdmin: { email: `${IDENTITIES.approved.nib}@sandbox.test` } })
  t.match(result.superAdmin.username, /^USER\.\d{8}\.\d{2}\.\d{5}$/)

  const db = context.database.handle.db
  const organisation = await db.selectFrom('organisations').selectAll().where('id', '=', result.organisation.id).executeTakeFirstOrThrow()
  t.match(organisation, { legal_form: 'PT', npwp: IDENTITIES.approved.npwp, business_types: ['IMPORTER'] }, 'profile from OSS')
  t.ok(organisation.kbli.length > 0)
  t.ok(organisation.oss_synced_at)
  const user = await db.selectFrom('users').selectAll().where('id', '=', result.superAdmin.userId).executeTakeFirstOrThrow()
  t.match(user, { level: 'super_admin', status: 'pending_verification', organisation_id: organisation.id, full_name: 'Budi Santoso', password_hash: null })

  const tracked = (await app.inject({ method: 'GET', url: `/v1/registrations/${first}` })).json()
  t.equal(tracked.status, 'approved')
  t.ok(tracked.decidedAt)
  const history = (await app.inject({ method: 'GET', url: `/v1/operator/registrations/${first}`, headers: auth })).json().history
  t.match(history, [{ event: 'submitted' }, { event: 'approved', actor: operator.username, reason: 'Surat kuasa sesuai.' }], 'who, when, what')
  await t.rejects(db.updateTable('registration_events').set({ reason: 'changed' }).execute(), /append-only/, 'events are append-only')

  const again = await app.inject({ method: 'POST', url: `/v1/operator/registrations/${first}/approve`, headers: auth, payload: {} })
  t.equal(again.statusCode, 409)
  const reject = await app.inject({ method: 'POST', url: `/v1/operator/registrations/${first}/reject`, headers: auth, payload: { reason: 'Terlambat sekali.' } })
  t.equal(reject.statusCode, 409, 'a decided registration stays decided')

  // The organisation's super admin may read its power of attorney once active; another org's may not.
  await db.updateTable('users').set({ status: 'active', password_hash: 'x' }).where('id', '=', user.id).execute()
  const { hashPassword } = await import('../../src/modules/identity/accounts/password-hash.ts')
  await db.updateTable('users').set({ password_hash: await hashPassword('Sandbox#Pass2026') }).where('id', '=', user.id).execute()
  const superAdminToken = await accessToken(url, result.superAdmin.username, 'Sandbox#Pass2026')
  const own = await app.inject({ method: 'GET', url: `/v1/registrations/${first}/power-of-attorney`, headers: { authorization: `Bearer ${superAdminToken}` } })
  t.equal(own.statusCode, 200, 'the organisation\'s own super admin')
  const feed = await app.inject({ method: 'GET', url: '/v1/notifications', headers: { authorization: `Bearer ${superAdminToken}` } })
  t.equal(feed.statusCode, 200, feed.body)
  t.match(feed.json().items, [
    { type: 'registration.approved', subject: { type: 'registration', id: first, url: `/v1/registrations/${first}` }, title: `Pendaftaran ${first} disetujui`, read: false },
  ], 'the new organisation\'s first notification: its approval')
  const other = (await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000007' } })).json()
  const otherToken = await accessToken(url, other.superAdmin.username, other.superAdmin.password)
  const foreign = await app.inject({ method: 'GET', url: `/v1/registrations/${first}/power-of-attorney`, headers: { authorization: `Bearer ${otherToken}` } })
  t.equal(foreign.statusCode, 404, 'another organisation\'s super admin')
  const otherFeed = await app.inject({ method: 'GET', url: '/v1/notifications', headers: { authorization: `Bearer ${otherToken}` } })
  t.notOk(otherFeed.json().items.some((item: { type: string }) => item.type === 'registration.approved'), 'nor its feed')
})

t.test('reject with a reason: shown on tracking, mailed, audited; the NIB may register again', async (t) => {
  const tracking = await register(formFor(IDENTITIES.bumn, { traderType: 'government_enterprise' }))
  const noReason = await app.inject({ method: 'POST', url: `/v1/operator/registrations/${tracking}/reject`, headers: auth, payload: {} })
  t.equal(noReason.statusCode, 422)
  const rejected = await app.inject({ method: 'POST', url: `/v1/operator/registrations/${tracking}/reject`, headers: auth, payload: { reason: 'Surat kuasa tidak ditandatangani direksi.' } })
  t.equal(rejected.statusCode, 200, rejected.body)
  const tracked = (await app.inject({ method: 'GET', url: `/v1/registrations/${tracking}` })).json()
  t.match(tracked, { status: 'rejected', decisionReason: 'Surat kuasa tidak ditandatangani direksi.' })
  const mailbox = (await app.inject({ method: 'GET', url: `/v1/sandbox/mailbox?to=${IDENTITIES.bumn.nib}@sandbox.test` })).json().items
  t.match(mailbox[0], { template: 'registration-rejected', text: /tidak ditandatangani/ })
  t.equal((await submit(app, { form: formFor(IDENTITIES.bumn, { traderType: 'government_enterprise' }), file: { content: pdf } })).statusCode, 202, 'after a rejection the NIB may register again')
})

t.test('a submission that did not match the records: listed as refused with the precise findings, never approvable', async (t) => {
  const response = await submit(app, { form: formFor({ ...IDENTITIES.npwpInvalid }, { contact: { email: 'refused-operator@sandbox.test', mobile: '+6281234567890' } }) })
  t.equal(response.statusCode, 422)
  t.equal(response.json().errors[0].reason, 'records_mismatch')
  const list = await app.inject({ method: 'GET', url: '/v1/operator/registrations?status=refused', headers: auth })
  t.equal(list.statusCode, 200, list.body)
  const item = list.json().items.find((entry: { trackingNumber: string; status: string }) => entry.status === 'refused')
  t.ok(item, 'listed for operators')
  const detail = await app.inject({ method: 'GET', url: `/v1/operator/registrations/${item.trackingNumber}`, headers: auth })
  t.equal(detail.statusCode, 200)
  const djp = detail.json().checks.find((check: { step: string }) => check.step === 'djp')
  t.match(djp, { status: 'failed', reason: /SPT Tahunan/, errors: [{ pointer: '/form/npwp', reason: 'djp_npwp_invalid' }] }, 'the operator sees KSWP\'s reason')
  t.match(detail.json().history, [{ event: 'refused', actor: null }])
  const approve = await app.inject({ method: 'POST', url: `/v1/operator/registrations/${item.trackingNumber}/approve`, headers: auth, payload: {} })
  t.equal(approve.statusCode, 409)
  t.equal((await app.inject({ method: 'GET', url: `/v1/registrations/${item.trackingNumber}` })).statusCode, 404, 'never trackable')
  await app.mailOutbox.flush()
  const mailbox = (await app.inject({ method: 'GET', url: '/v1/sandbox/mailbox?to=refused-operator@sandbox.test' })).json()
  t.equal(mailbox.items.length, 1, 'the applicant is told by mail')
  t.match(mailbox.items[0].text, new RegExp(`Reference: ${item.trackingNumber}`), 'with a reference for the helpdesk')
  t.notMatch(mailbox.items[0].text, /npwp:|good standing|SPT Tahunan|person in charge of/, 'the findings stay with the operator: the address is the caller\'s choice')
})

t.test('concurrent approvals of one registration: exactly one succeeds, the others get 409', async (t) => {
  const tracking = await register(formFor(IDENTITIES.ossSlow))
  const attempts = await Promise.all(
    Array.from({ length: 5 }, () => app.inject({ method: 'POST', url: `/v1/operator/registrations/${tracking}/approve`, headers: auth, payload: {} })),
  )
  const statuses = attempts.map((response) => response.statusCode).sort()
  t.same(statuses, [200, 409, 409, 409, 409])
  const organisations = await context.database.handle.db.selectFrom('organisations').select('id').where('nib', '=', IDENTITIES.ossSlow.nib).execute()
  t.equal(organisations.length, 1)
  const users = await context.database.handle.db.selectFrom('users').select('id').where('organisation_id', '=', organisations[0]!.id).execute()
  t.equal(users.length, 1, 'one super admin')
})

t.test('an NIB that became an organisation meanwhile cannot become a second one', async (t) => {
  const db = context.database.handle.db
  const tracking = await register(formFor(IDENTITIES.npwpInvalid, { traderType: 'individual_business', nibKind: 'individual', npwpKind: 'none', npwp: undefined }))
  const created = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: IDENTITIES.npwpInvalid.nib } })
  t.equal(created.statusCode, 201)
  const approve = await app.inject({ method: 'POST', url: `/v1/operator/registrations/${tracking}/approve`, headers: auth, payload: {} })
  t.equal(approve.statusCode, 409)
  t.match(approve.json().detail, /already exists/)
  t.equal((await db.selectFrom('organisations').select('id').where('nib', '=', IDENTITIES.npwpInvalid.nib).execute()).length, 1)
  t.equal((await app.inject({ method: 'GET', url: `/v1/registrations/${tracking}` })).json().status, 'pending_review', 'rolled back: still pending')
})

t.test('usernames stay unique when many approvals run at once', async (t) => {
  const db = context.database.handle.db
  const trackings: string[] = []
  for (let i = 0; i < 6; i++) {
    trackings.push(
      await register({
        ...formFor({ npwp: `0200000000${String(i).padStart(2, '0')}000` }, { traderType: 'ministry_agency', userType: 'government', nibKind: 'none', nib: undefined, npwpKind: 'none', npwp: undefined, organisationName: `Kementerian ${i}` }),
        contact: { email: `k${i}@sandbox.test`, mobile: '+6281234567890' },
      }),
    )
  }
  const results = await Promise.all(trackings.map((tracking) => app.inject({ method: 'POST', url: `/v1/operator/registrations/${tracking}/approve`, headers: auth, payload: {} })))
  t.ok(results.every((r) => r.statusCode === 200), results.map((r) => r.statusCode).join(','))
  const usernames = results.map((r) => r.json().superAdmin.username)
  t.equal(new Set(usernames).size, usernames.length)
  const organisations = await db.selectFrom('organisations').select(['nib', 'name']).where('name', 'like', 'Kementerian %').execute()
  t.equal(organisations.length, 6, 'organisations without NIB take the form\'s profile')
})
