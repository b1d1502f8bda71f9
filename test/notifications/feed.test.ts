/**
 * The feed: only the menus a user holds View on (a super admin all of the organisation's), never
 * another organisation's; newest first with keyset paging and the unread filter; read one, read
 * all and the unread count; texts in the user's language or Accept-Language's; machine clients
 * refused with a pointer to webhooks. And the channels: email and SMS queued with the
 * notification, per each reader's choice and language, never to someone who cannot read it.
 */
import t from 'tap'
import { createActiveUser, createGroup, createOrg, api, setupRbacTest, userToken } from '../helpers/orgs.ts'
import { fanOutPermitEvents } from '../../src/modules/notifications/fanout.ts'
import { insertNotification } from '../../src/modules/notifications/repository.ts'
import { recordingJobs } from '../helpers/permits.ts'
import { permitNews, setContacts } from './helpers.ts'

const { context, app, minter, db } = await setupRbacTest(t)
const orgA = await createOrg(app, '8120000000001')
const orgB = await createOrg(app, '8120000000010')
const superA = userToken(minter, orgA.superAdmin.userId, orgA.orgId)
const superB = userToken(minter, orgB.superAdmin.userId, orgB.orgId)
const noPermitsGroup = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'Users only', rights: [{ menu: 'USER_MANAGEMENT', actions: ['view'] }] })
const permitsGroup = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'Permit readers', rights: [{ menu: 'SSM_PERIZINAN', actions: ['view'] }] })
const blindUser = await createActiveUser(app, context, superA, orgA.orgId, 'non_admin', noPermitsGroup)
const permitUser = await createActiveUser(app, context, superA, orgA.orgId, 'non_admin', permitsGroup)
const blind = userToken(minter, blindUser, orgA.orgId)
const reader = userToken(minter, permitUser, orgA.orgId)

// Channels first: they are queued when the fan-out writes the notification.
await setContacts(db, orgA.superAdmin.userId, { channels: ['email', 'website'], language: 'en' })
await setContacts(db, permitUser, { channels: ['sms', 'email'], language: 'id', mobile: '6281200001111', emailVerified: false })
await setContacts(db, blindUser, { channels: ['email', 'sms'], language: 'id', mobile: '6281200002222' })

const first = await permitNews(db, '8120000000001', 'forwarded')
const second = await permitNews(db, '8120000000001', 'rejected')
const third = await permitNews(db, '8120000000001', 'approved')
const general = (await insertNotification(db, {
  organisationId: orgA.orgId,
  menuCode: null,
  type: 'webhook.disabled',
  subjectType: 'webhook',
  subjectId: '0b6f7c43-4c8a-4d3e-9f7e-3a8c2d1e5f60',
  source: 'test:general',
  title: { en: 'Webhook disabled', id: 'Webhook dinonaktifkan' },
  body: { en: 'It failed for three days.', id: 'Gagal selama tiga hari.' },
  data: {},
  occurredAt: new Date(),
}))!
const theirs = await permitNews(db, '8120000000010', 'forwarded')

const ids = (response: { json(): { items: { id: string }[] } }) => response.json().items.map((item) => item.id)

t.test('a super admin sees every notification of the organisation, newest first, in their language', async (t) => {
  const response = await api(app, superA, 'GET', '/v1/notifications')
  t.equal(response.statusCode, 200, response.body)
  t.same(ids(response), [String(general.id), third.notificationId, second.notificationId, first.notificationId])
  t.equal(response.json().unreadCount, 4)
  t.equal(response.headers['content-language'], 'en', 'the stored language of the super admin')
  t.match(response.json().items[2], {
    type: 'permit.rejected',
    title: `Application ${second.permit.reference_number} rejected`,
    body: /HS code not allowed/,
    subject: { type: 'permit', id: second.permit.id, url: `/v1/permits/${second.permit.id}` },
    data: { permitId: second.permit.id, status: 'rejected', reason: 'HS code not allowed' },
    occurredAt: String,
    read: false,
  })
  const indonesian = await api(app, superA, 'GET', '/v1/notifications', undefined, { 'accept-language': 'id-ID,id;q=0.9' })
  t.equal(indonesian.json().items[2].title, `Permohonan ${second.permit.reference_number} ditolak`, 'Accept-Language wins when it names a language')
})

t.test('without View on SSM Perizinan a user sees none of the permit notifications', async (t) => {
  const response = await api(app, blind, 'GET', '/v1/notifications')
  t.equal(response.statusCode, 200, response.body)
  t.same(ids(response), [String(general.id)], 'only the notification of no menu')
  t.equal(response.json().unreadCount, 1)
  t.equal(response.json().items[0].title, 'Webhook dinonaktifkan', 'Indonesian by default')
  t.equal((await api(app, blind, 'POST', `/v1/notifications/${first.notificationId}/read`)).statusCode, 404, 'nor can they mark one')
  t.same(ids(await api(app, reader, 'GET', '/v1/notifications')), [String(general.id), third.notificationId, second.notificationId, first.notificationId], 'View on the menu is enough')
})

t.test('another organisation\'s notifications are never visible', async (t) => {
  t.same(ids(await api(app, superB, 'GET', '/v1/notifications')), [theirs.notificationId])
  t.notOk(ids(await api(app, superA, 'GET', '/v1/notifications?limit=100')).includes(theirs.notificationId))
  const read = await api(app, superA, 'POST', `/v1/notifications/${theirs.notificationId}/read`)
  t.equal(read.statusCode, 404)
  t.equal(read.json().code, 'NOT_FOUND')
})

t.test('keyset paging keeps every filter and never overlaps', async (t) => {
  const page1 = await api(app, superA, 'GET', '/v1/notifications?limit=3')
  t.same(ids(page1), [String(general.id), third.notificationId, second.notificationId])
  t.equal(page1.json().next, `/v1/notifications?limit=3&cursor=${second.notificationId}`)
  const page2 = await api(app, superA, 'GET', page1.json().next)
  t.same(ids(page2), [first.notificationId])
  t.equal(page2.json().next, null)
  const bad = await api(app, superA, 'GET', '/v1/notifications?cursor=abc')
  t.equal(bad.statusCode, 422)
  t.match(bad.json(), { code: 'VALIDATION_FAILED', errors: [{ pointer: '/cursor', in: 'query' }] })
})

t.test('read one, the unread filter and count, read all', async (t) => {
  const read = await api(app, reader, 'POST', `/v1/notifications/${second.notificationId}/read`)
  t.equal(read.statusCode, 200, read.body)
  t.same(read.json(), { unreadCount: 3 })
  t.same((await api(app, reader, 'POST', `/v1/notifications/${second.notificationId}/read`)).json(), { unreadCount: 3 }, 'again: no change')
  const unread = await api(app, reader, 'GET', '/v1/notifications?unread=true&limit=2')
  t.same(ids(unread), [String(general.id), third.notificationId])
  t.equal(unread.json().next, `/v1/notifications?unread=true&limit=2&cursor=${third.notificationId}`)
  t.same(ids(await api(app, reader, 'GET', unread.json().next)), [first.notificationId], 'the read one is skipped on every page')
  const all = (await api(app, reader, 'GET', '/v1/notifications')).json()
  t.same(all.items.map((item: { read: boolean }) => item.read), [false, false, true, false])
  t.equal((await api(app, superA, 'GET', '/v1/notifications')).json().unreadCount, 4, 'read state is per user')

  const readAll = await api(app, reader, 'POST', '/v1/notifications/read-all')
  t.equal(readAll.statusCode, 200, readAll.body)
  t.same(readAll.json(), { unreadCount: 0 })
  const mark = await db.selectFrom('notification_read_marks').select('read_up_to').where('user_id', '=', permitUser).executeTakeFirstOrThrow()
  t.equal(String(mark.read_up_to), String(general.id), 'the mark is the newest the user sees')
  t.equal((await db.selectFrom('notification_reads').select('notification_id').where('user_id', '=', permitUser).execute()).length, 0, 'single reads below the mark are gone')
  t.ok((await api(app, reader, 'GET', '/v1/notifications')).json().items.every((item: { read: boolean }) => item.read))

  const later = await permitNews(db, '8120000000001', 'under_review')
  const after = (await api(app, reader, 'GET', '/v1/notifications?unread=true')).json()
  t.same(after.items.map((item: { id: string }) => item.id), [later.notificationId], 'what arrives afterwards is unread')
  t.equal(after.unreadCount, 1)
})

t.test('machine clients are refused with a pointer to webhooks; tokens are required', async (t) => {
  const client = orgA.clients.find((entry) => entry.kind === 'inhouse')!
  const token = minter.forClient(client.clientId, { scope: 'org:read permits:read', orgId: orgA.orgId })
  const response = await api(app, token, 'GET', '/v1/notifications')
  t.equal(response.statusCode, 403)
  t.match(response.json(), { code: 'FORBIDDEN', detail: /webhook/ })
  t.equal((await api(app, token, 'GET', '/v1/notifications/stream')).statusCode, 403, 'the stream too')
  t.equal((await api(app, token, 'POST', '/v1/notifications/read-all')).statusCode, 403)
  const anonymous = await app.inject({ method: 'GET', url: '/v1/notifications' })
  t.equal(anonymous.statusCode, 401)
})

t.test('email and SMS are queued with the notification, per choice and language', async (t) => {
  const superEmail = orgA.superAdmin.email
  const blindEmail = (await db.selectFrom('users').select('email').where('id', '=', blindUser).executeTakeFirstOrThrow()).email
  const mails = await db.selectFrom('mail_outbox').select(['recipient', 'subject', 'body_text', 'template']).where('template', '=', 'notification').orderBy('created_at').execute()
  const toSuper = mails.filter((mail) => mail.recipient === superEmail)
  t.equal(toSuper.length, 4, 'the super admin chose email: one per permit step of the organisation (the fan-out wrote 4)')
  t.ok(toSuper.some((mail) => mail.subject === `INSW: Application ${second.permit.reference_number} rejected` && /HS code not allowed/.test(mail.body_text) && /WIB/.test(mail.body_text)), 'in English, their language')
  t.notOk(mails.some((mail) => mail.recipient === blindEmail), 'no mail to a user who cannot read permit notifications')
  t.equal(mails.filter((mail) => mail.recipient !== superEmail && mail.recipient !== blindEmail).length, 0, 'no mail to an unverified address')

  const sms = await db.selectFrom('sms_outbox').select(['recipient', 'body_text', 'template']).where('template', '=', 'notification').execute()
  const toReader = sms.filter((message) => message.recipient === '6281200001111')
  t.equal(toReader.length, 4, 'the permit reader chose SMS and verified the mobile')
  t.ok(toReader.some((message) => message.body_text === `INSW: Permohonan ${second.permit.reference_number} ditolak. Detail di aplikasi INSW.`), 'in Indonesian, their language')
  t.ok(toReader.every((message) => message.body_text.length <= 160), 'one SMS each')
  t.notOk(sms.some((message) => message.recipient === '6281200002222'), 'no SMS to a user who cannot read them')
})

t.test('a repeated fan-out queues nothing twice; no mobile verified, no SMS', async (t) => {
  await setContacts(db, permitUser, { channels: ['sms'], mobile: null })
  const smsBefore = await db.selectFrom('sms_outbox').select('id').where('template', '=', 'notification').execute()
  const mailsBefore = await db.selectFrom('mail_outbox').select('id').where('template', '=', 'notification').execute()
  const cancelled = await permitNews(db, '8120000000001', 'cancelled')
  // The pass is repeated (as after a crash between commit and nothing): the notification exists, no message is queued again.
  await db.updateTable('permit_events').set({ fanned_out_at: null }).where('permit_id', '=', cancelled.permit.id).execute()
  await fanOutPermitEvents({ db, jobs: recordingJobs(), menuOfPermitType: () => 'SSM_PERIZINAN' })
  const smsAfter = await db.selectFrom('sms_outbox').select('id').where('template', '=', 'notification').execute()
  const mailsAfter = await db.selectFrom('mail_outbox').select('id').where('template', '=', 'notification').execute()
  t.equal(smsAfter.length, smsBefore.length, 'the mobile is no longer verified')
  t.equal(mailsAfter.length, mailsBefore.length + 1, 'one mail, to the super admin')
})
