/**
 * Operators see the job engine's jobs and retry the dead-lettered ones: platform operators only,
 * payloads shown as ids only, the retry runs the queue's onOperatorRetry hook in its transaction
 * (a failed mail is pending again) and is audited. Uses the mail queue, one attempt per mail.
 */
import t from 'tap'
import { QUEUES } from '../../src/jobs/queues.ts'
import { sandboxMailer, type Mailer } from '../../src/mail/mailer.ts'
import { queueMail } from '../../src/mail/outbox.ts'
import { setupTestContext } from '../helpers/app.ts'
import { drainQueue } from '../helpers/jobs.ts'
import { buildMailApp, switchableMailer } from '../helpers/mail.ts'
import { api, createOrg } from '../helpers/orgs.ts'
import { tokenMinter } from '../helpers/tokens.ts'

const context = await setupTestContext(t)
const db = context.database.handle.db
const failing: Mailer = { delivery: 'sent', async send() { throw new Error('550 mailbox unavailable') }, async close() {} }
const mailer = switchableMailer(failing)
const app = await buildMailApp(t, context, { mailer, mailPolicy: { retryLimit: 0 } })
const minter = tokenMinter(app)

const created = (await app.inject({ method: 'POST', url: '/v1/sandbox/test-operators', payload: {} })).json()
const operatorId = (await db.selectFrom('users').select('id').where('username', '=', created.username).executeTakeFirstOrThrow()).id
const operator = minter.forUser(operatorId, { scope: 'openid registrations:read registrations:write' })
const readOnlyOperator = minter.forUser(operatorId, { scope: 'openid registrations:read' })
const org = await createOrg(app, '8120000000001')
const superAdmin = minter.forUser(org.superAdmin.userId, { scope: 'openid registrations:read registrations:write', orgId: org.orgId })

const mailId = await queueMail(db, { to: 'bounce@jobs.test', subject: 'Aktivasi', text: 'https://gateway.test/account/reset-password?token=secret', template: 'test' })
await drainQueue(app, QUEUES.mailDeliver.name)
const mail = () => db.selectFrom('mail_outbox').select(['status', 'attempts']).where('id', '=', mailId).executeTakeFirstOrThrow()

t.test('only platform operators: no token 401, an organisation\'s super admin 403, retry needs registrations:write', async (t) => {
  t.equal((await app.inject({ method: 'GET', url: '/v1/operator/jobs' })).statusCode, 401)
  const forbidden = await api(app, superAdmin, 'GET', '/v1/operator/jobs')
  t.equal(forbidden.statusCode, 403)
  t.equal(forbidden.json().code, 'FORBIDDEN')
  t.equal((await api(app, superAdmin, 'GET', `/v1/operator/jobs/${mailId}`)).statusCode, 403)
  const dead = (await api(app, operator, 'GET', '/v1/operator/jobs?state=dead_letter')).json().items[0]
  t.equal((await api(app, superAdmin, 'POST', `/v1/operator/jobs/${dead.id}/retry`)).statusCode, 403)
  const scope = await api(app, readOnlyOperator, 'POST', `/v1/operator/jobs/${dead.id}/retry`)
  t.equal(scope.statusCode, 403)
  t.equal(scope.json().code, 'INSUFFICIENT_SCOPE')
})

t.test('the dead letter list, one job, paging and filters; payloads are ids only', async (t) => {
  t.equal((await mail()).status, 'failed', 'the mail was given up on')
  const page = await api(app, operator, 'GET', '/v1/operator/jobs?state=dead_letter')
  t.equal(page.statusCode, 200, page.body)
  const [dead] = page.json().items
  t.match(dead, { queue: 'mail.deliver.dead', state: 'created', deadLettered: true, data: { mailId }, lastError: '550 mailbox unavailable', source: { queue: 'mail.deliver' } })
  t.same(Object.keys(dead.data), ['mailId'], 'nothing but the id')
  t.notMatch(page.body, /bounce@jobs\.test|secret/, 'no address, no token')

  const original = await api(app, operator, 'GET', `/v1/operator/jobs/${dead.source.jobId}`)
  t.equal(original.statusCode, 200, original.body)
  t.match(original.json(), { queue: 'mail.deliver', state: 'failed', deadLettered: false, attempt: 1, maxAttempts: 1, lastError: '550 mailbox unavailable' })

  const failed = (await api(app, operator, 'GET', '/v1/operator/jobs?queue=mail.deliver&state=failed')).json()
  t.same(failed.items.map((job: { id: string }) => job.id), [dead.source.jobId])

  await queueMail(db, { to: 'second@jobs.test', subject: 'S', text: 'T', template: 'test' })
  await drainQueue(app, QUEUES.mailDeliver.name)
  const first = (await api(app, operator, 'GET', '/v1/operator/jobs?queue=mail.deliver&limit=1')).json()
  t.equal(first.items.length, 1)
  t.match(first.next, /^\/v1\/operator\/jobs\?queue=mail\.deliver&limit=1&cursor=/)
  const second = (await api(app, operator, 'GET', first.next)).json()
  t.equal(second.items[0].id, dead.source.jobId, 'older second')
  t.not(first.items[0].id, second.items[0].id)

  t.equal((await api(app, operator, 'GET', '/v1/operator/jobs/9d3b1a52-0000-4000-8000-000000000000')).statusCode, 404)
  t.equal((await api(app, operator, 'GET', '/v1/operator/jobs/not-a-uuid')).statusCode, 422)
  t.equal((await api(app, operator, 'GET', '/v1/operator/jobs?state=exploded')).statusCode, 422)
  t.equal((await api(app, operator, 'GET', '/v1/operator/jobs?queue=other.queue')).statusCode, 422)
})

t.test('retry: the dead-lettered mail goes back to its queue, is pending again, is delivered, and the retry is audited', async (t) => {
  // The second mail of the test above failed too: take this one's.
  const dead = (await api(app, operator, 'GET', '/v1/operator/jobs?state=dead_letter')).json().items.find((job: { data: { mailId: string } }) => job.data.mailId === mailId)
  mailer.use(sandboxMailer)
  const retried = await api(app, operator, 'POST', `/v1/operator/jobs/${dead.id}/retry`)
  t.equal(retried.statusCode, 200, retried.body)
  t.match(retried.json(), { queue: 'mail.deliver', deadLettered: false, data: { mailId } })
  t.not(retried.json().id, dead.id, 'a new job in the mail queue')
  await drainQueue(app, QUEUES.mailDeliver.name)
  t.match(await mail(), { status: 'sandbox', attempts: 2 }, 'the hook reopened the mail and it was delivered')

  const audit = await db.selectFrom('audit_events').selectAll().where('action', '=', 'job.retried').where('target_id', '=', dead.id).executeTakeFirst()
  t.match(audit, { actor_kind: 'operator', actor_id: operatorId, target_type: 'job' })
  t.equal((await api(app, operator, 'GET', `/v1/operator/jobs/${dead.id}`)).statusCode, 404, 'the dead letter copy left its queue')
  t.equal((await api(app, operator, 'POST', `/v1/operator/jobs/${dead.id}/retry`)).statusCode, 404)
  const again = await api(app, operator, 'POST', `/v1/operator/jobs/${dead.source.jobId}/retry`)
  t.equal(again.statusCode, 409, 'the original was retried already')
  t.equal(again.json().code, 'CONFLICT')
})

t.test('a job that is not failed is not retried', async (t) => {
  const completed = (await api(app, operator, 'GET', '/v1/operator/jobs?state=completed&limit=1')).json().items[0]
  const response = await api(app, operator, 'POST', `/v1/operator/jobs/${completed.id}/retry`)
  t.equal(response.statusCode, 409)
  t.match(response.headers['content-type'], /application\/problem\+json/)
})
