/**
 * The delivery job, driven directly (one PGlite for the file, a receiver on port 0): signed
 * messages a standardwebhooks receiver verifies (also during a rotation's overlap), a receiver
 * down for a while gets every step once back and in order per permit with a stable webhook-id,
 * no redirect followed, the answer read up to a cap, a timeout, the last attempt marking the
 * pair failed, and an endpoint failing past the period disabled with its organisation notified.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { fanOutPermitEvents } from '../../src/modules/notifications/fanout.ts'
import { moveStatus } from '../../src/modules/permits/journey.ts'
import { deliverBatch, deliverPending, DeliveryFailed, type DeliveryDeps } from '../../src/modules/webhooks/delivery.ts'
import { rotateWebhookSecret } from '../../src/modules/webhooks/repository.ts'
import { generateWebhookSecret, secretBox } from '../../src/modules/webhooks/secrets.ts'
import { createSender } from '../../src/modules/webhooks/sender.ts'
import type { PermitStatus } from '../../src/db/tables/permits.ts'
import { openTestDatabase } from '../helpers/database.ts'
import { insertPermit, recordingJobs, silentLog } from '../helpers/permits.ts'
import { startReceiver, verifies, verify } from '../helpers/webhook-receiver.ts'

const database = await openTestDatabase()
t.teardown(() => database.close())
const db = database.handle.db
const receiver = await startReceiver(t)
const box = secretBox(Buffer.alloc(32, 9))
const sender = createSender({ timeoutMs: 2000, policy: { allowLoopback: true } })
t.teardown(() => sender.close())
let clock = new Date()
const jobs = { ...recordingJobs(), wake: () => {} }
const deps: DeliveryDeps = { db, jobs, secrets: box, sender, disableAfterMs: 72 * 3_600_000, now: () => clock, log: silentLog }
const firstTry = { isLastAttempt: false }

async function subscribe(organisationId: string, options: { path?: string; eventTypes?: string[] } = {}) {
  const id = randomUUID()
  const secret = generateWebhookSecret()
  await db
    .insertInto('webhooks')
    .values({ id, organisation_id: organisationId, url: `${receiver.url}${options.path ?? '/hook'}`, event_types: options.eventTypes ?? ['permit.forwarded', 'permit.received', 'permit.under_review', 'permit.approved'], secret_ciphertext: box.seal(secret, id) })
    .execute()
  return { id, secret }
}

/** A permit of its own organisation that went through `steps`, fanned out into deliveries. */
async function permitWithSteps(nib: string, steps: PermitStatus[]) {
  const permit = await insertPermit(db, { nib })
  const hook = await subscribe(permit.organisation_id, { path: `/hook/${nib}` })
  for (const step of steps) {
    await db.transaction().execute((trx) => moveStatus(trx, permit.id, step, { type: 'permit.status_changed', actor: { type: 'system' }, hop: 'inatrade', outcome: 'succeeded' }))
  }
  await fanOutPermitEvents({ db, jobs, menuOfPermitType: () => 'SSM_PERIZINAN' })
  return { permit, hook, data: { webhookId: hook.id, subjectId: permit.id } }
}

const forPath = (path: string) => receiver.requests.filter((request) => request.url === path)
const states = (webhookId: string) => db.selectFrom('webhook_deliveries').select(['sequence', 'state', 'attempts']).where('webhook_id', '=', webhookId).orderBy('sequence').execute()

t.beforeEach(() => {
  receiver.respond = (_request, response) => response.end('ok')
  clock = new Date()
})

t.test('each step is POSTed once, in order, signed so that standardwebhooks verifies it', async (t) => {
  const { hook, data, permit } = await permitWithSteps('8120000000101', ['forwarded', 'received', 'approved'])
  await deliverPending(deps, data, firstTry)
  const got = forPath('/hook/8120000000101')
  t.equal(got.length, 3)
  const messages = got.map((request) => verify(request, hook.secret) as { type: string; data: { sequence: number; permitId: string } })
  t.same(messages.map((m) => [m.type, m.data.sequence]), [['permit.forwarded', 1], ['permit.received', 2], ['permit.approved', 3]])
  t.ok(messages.every((m) => m.data.permitId === permit.id))
  const rows = await db.selectFrom('webhook_deliveries').select(['id', 'payload', 'state', 'attempts', 'delivered_at']).where('webhook_id', '=', hook.id).orderBy('sequence').execute()
  t.same(got.map((r) => r.headers['webhook-id']), rows.map((r) => r.id), 'webhook-id is the delivery id')
  t.same(got.map((r) => JSON.parse(r.body)), rows.map((r) => r.payload), 'the body is the stored payload')
  t.ok(rows.every((r) => r.state === 'delivered' && r.attempts === 1 && r.delivered_at))
  t.notOk(verifies(got[0]!, generateWebhookSecret()), 'another secret does not verify')
  const tampered = { ...got[0]!, body: got[0]!.body.replace('forwarded', 'approved') }
  t.notOk(verifies(tampered, hook.secret), 'a changed body does not verify')
  await deliverPending(deps, data, firstTry)
  t.equal(forPath('/hook/8120000000101').length, 3, 'nothing delivered twice')
})

t.test('a receiver down for a while gets every step once back, in order, with the same webhook-id', async (t) => {
  const path = '/hook/8120000000102'
  const { hook, data } = await permitWithSteps('8120000000102', ['forwarded', 'received', 'under_review', 'approved'])
  receiver.respond = (_request, response) => {
    response.statusCode = 503
    response.end('maintenance until 10:00')
  }
  await t.rejects(deliverPending(deps, data, firstTry), DeliveryFailed)
  clock = new Date(clock.getTime() + 3_600_000)
  await t.rejects(deliverPending(deps, data, firstTry), DeliveryFailed)
  t.equal(forPath(path).length, 2, 'only the first step was tried: the later ones wait behind it')
  t.same((await states(hook.id)).map((s) => [s.sequence, s.state, s.attempts]), [[1, 'pending', 2], [2, 'pending', 0], [3, 'pending', 0], [4, 'pending', 0]])
  const failing = await db.selectFrom('webhooks').select('failing_since').where('id', '=', hook.id).executeTakeFirstOrThrow()
  t.ok(failing.failing_since, 'the failing period started')
  const log = await db.selectFrom('webhook_delivery_attempts as a').innerJoin('webhook_deliveries as d', 'd.id', 'a.delivery_id').select(['a.status_code', 'a.outcome', 'a.response_excerpt', 'a.error']).where('d.webhook_id', '=', hook.id).execute()
  t.match(log, [{ status_code: 503, outcome: 'failed', response_excerpt: 'maintenance until 10:00', error: 'answered 503' }, { status_code: 503 }])

  receiver.respond = (_request, response) => response.writeHead(204).end()
  await deliverPending(deps, data, firstTry)
  const got = forPath(path)
  t.same(got.map((r) => (verify(r, hook.secret) as { data: { sequence: number } }).data.sequence), [1, 1, 1, 2, 3, 4], 'every step, in order')
  t.equal(new Set(got.slice(0, 3).map((r) => r.headers['webhook-id'])).size, 1, 'the retried step kept its webhook-id')
  t.ok((await states(hook.id)).every((s) => s.state === 'delivered'))
  const after = await db.selectFrom('webhooks').select('failing_since').where('id', '=', hook.id).executeTakeFirstOrThrow()
  t.equal(after.failing_since, null, 'a success ends the failing period')
})

t.test('during a rotation both secrets sign; after the overlap only the new one', async (t) => {
  const path = '/hook/8120000000103'
  const { hook, data, permit } = await permitWithSteps('8120000000103', ['forwarded'])
  const fresh = generateWebhookSecret()
  await rotateWebhookSecret(db, hook.id, box.seal(fresh, hook.id), new Date(clock.getTime() + 3_600_000))
  await deliverPending(deps, data, firstTry)
  const during = forPath(path).at(-1)!
  t.equal(String(during.headers['webhook-signature']).split(' ').length, 2, 'two signatures')
  t.ok(verifies(during, hook.secret), 'a receiver still on the old secret verifies')
  t.ok(verifies(during, fresh), 'a receiver already on the new secret verifies')

  clock = new Date(clock.getTime() + 2 * 3_600_000)
  await db.transaction().execute((trx) => moveStatus(trx, permit.id, 'received', { type: 'permit.status_changed', actor: { type: 'system' }, hop: 'inatrade', outcome: 'succeeded' }))
  await fanOutPermitEvents({ db, jobs, menuOfPermitType: () => 'SSM_PERIZINAN' })
  await deliverPending(deps, data, firstTry)
  const after = forPath(path).at(-1)!
  t.equal(String(after.headers['webhook-signature']).split(' ').length, 1)
  t.ok(verifies(after, fresh))
  t.notOk(verifies(after, hook.secret), 'the old secret no longer signs')
})

t.test('a redirect is not followed: it is a failure', async (t) => {
  const { hook, data } = await permitWithSteps('8120000000104', ['forwarded'])
  receiver.respond = (_request, response) => response.writeHead(302, { location: `${receiver.url}/elsewhere` }).end()
  await t.rejects(deliverPending(deps, data, firstTry), DeliveryFailed)
  t.equal(receiver.requests.filter((r) => r.url === '/elsewhere').length, 0, 'the Location was never called')
  const attempt = await db.selectFrom('webhook_delivery_attempts as a').innerJoin('webhook_deliveries as d', 'd.id', 'a.delivery_id').select(['a.status_code', 'a.error']).where('d.webhook_id', '=', hook.id).executeTakeFirstOrThrow()
  t.match(attempt, { status_code: 302, error: /redirect 302 not followed/ })
})

t.test('an endless answer is read up to the cap and does not hold the attempt', async (t) => {
  const path = '/hook/8120000000105'
  const { hook, data } = await permitWithSteps('8120000000105', ['forwarded'])
  const chunk = 'x'.repeat(16 * 1024)
  receiver.respond = (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' })
    // Writes until the gateway hangs up: without the cap the attempt would run into the timeout.
    const pump = () => {
      while (!response.destroyed && response.write(chunk));
      if (!response.destroyed) response.once('drain', pump)
    }
    pump()
  }
  await deliverPending(deps, data, firstTry)
  t.equal(forPath(path).length, 1)
  const attempt = await db.selectFrom('webhook_delivery_attempts as a').innerJoin('webhook_deliveries as d', 'd.id', 'a.delivery_id').select(['a.outcome', 'a.latency_ms', 'a.response_excerpt']).where('d.webhook_id', '=', hook.id).executeTakeFirstOrThrow()
  t.equal(attempt.outcome, 'delivered')
  t.equal(attempt.response_excerpt?.length, 500, 'a 500-character excerpt is kept')
  t.ok(attempt.latency_ms < 1500, `well within the timeout (${attempt.latency_ms} ms)`)
})

t.test('no answer within the timeout is a failure', async (t) => {
  const quick = createSender({ timeoutMs: 300, policy: { allowLoopback: true } })
  t.teardown(() => quick.close())
  receiver.respond = () => {} // never answers
  const result = await quick.send(`${receiver.url}/slow`, { id: 'msg_slow', body: '{}', secrets: [generateWebhookSecret()] })
  t.match(result, { outcome: 'failed', statusCode: null, error: 'no answer within 300 ms' })
})

t.test('the last attempt failing marks the pair\'s waiting messages failed', async (t) => {
  const { hook, data } = await permitWithSteps('8120000000106', ['forwarded', 'received'])
  receiver.respond = (_request, response) => response.writeHead(500).end()
  await t.rejects(deliverPending(deps, data, { isLastAttempt: true }), DeliveryFailed)
  t.same((await states(hook.id)).map((s) => s.state), ['failed', 'failed'])
})

t.test('an endpoint failing past the period is disabled, once, and its organisation told', async (t) => {
  const { hook, data, permit } = await permitWithSteps('8120000000107', ['forwarded', 'received'])
  const watcher = await subscribe(permit.organisation_id, { path: '/watcher', eventTypes: ['webhook.disabled'] })
  receiver.respond = (request, response) => response.writeHead(request.url === '/watcher' ? 200 : 503).end()
  const start = clock
  await t.rejects(deliverPending(deps, data, firstTry), DeliveryFailed)
  clock = new Date(start.getTime() + 71 * 3_600_000)
  await t.rejects(deliverPending(deps, data, firstTry), DeliveryFailed, 'still within the period: retried')
  clock = new Date(start.getTime() + 72 * 3_600_000 + 1000)
  jobs.sent.length = 0
  await deliverPending(deps, data, firstTry)
  const row = await db.selectFrom('webhooks').select(['enabled', 'disabled_reason', 'failing_since']).where('id', '=', hook.id).executeTakeFirstOrThrow()
  t.equal(row.enabled, false)
  t.match(row.disabled_reason, /failed for 72 h/)
  const notes = await db.selectFrom('notifications').selectAll().where('subject_id', '=', hook.id).execute()
  t.equal(notes.length, 1)
  t.match(notes[0], { organisation_id: permit.organisation_id, type: 'webhook.disabled', menu_code: 'API_CATALOGUE', subject_type: 'webhook', source: new RegExp(`^webhook_disabled:${hook.id}:`) })
  t.match(notes[0]!.title, { en: /disabled/, id: /dinonaktifkan/ })
  t.same((await states(hook.id)).map((s) => s.state), ['pending', 'pending'], 'its messages wait for it to be enabled again')
  const told = await db.selectFrom('webhook_deliveries').select(['event_type', 'payload']).where('webhook_id', '=', watcher.id).execute()
  t.match(told, [{ event_type: 'webhook.disabled', payload: { type: 'webhook.disabled', data: { webhookId: hook.id } } }], 'a subscribed endpoint gets a webhook.disabled message')
  t.same(jobs.sent.map((job) => job.data), [{ webhookId: watcher.id, subjectId: hook.id }])

  const before = receiver.requests.length
  await deliverPending(deps, data, firstTry)
  t.equal(receiver.requests.length, before, 'a disabled endpoint is not called')
  t.equal((await db.selectFrom('notifications').select('id').where('subject_id', '=', hook.id).execute()).length, 1, 'told once')
})

t.test('a deleted endpoint\'s job does nothing', async (t) => {
  await deliverPending(deps, { webhookId: randomUUID(), subjectId: randomUUID() }, firstTry)
  t.pass()
})

t.test('a batch delivers its pairs side by side, each in order; a failing pair is its own job\'s outcome alone', async (t) => {
  const steps: PermitStatus[] = ['forwarded', 'received', 'under_review', 'approved']
  const pairs = await Promise.all(['8120000000111', '8120000000112', '8120000000113', '8120000000114'].map((nib) => permitWithSteps(nib, steps)))
  receiver.respond = (request, response) => {
    if (request.url === '/hook/8120000000113') response.writeHead(500).end('down')
    else response.writeHead(204).end()
  }
  const outcomes = await deliverBatch(deps, [...pairs.map(({ data }) => ({ data, job: firstTry })), { data: { webhookId: randomUUID(), subjectId: randomUUID() }, job: firstTry }])
  t.same(outcomes.map((outcome) => outcome?.constructor.name), [undefined, undefined, 'DeliveryFailed', undefined, undefined], 'only the failing pair\'s job failed; an unknown endpoint is nothing to do')
  for (const [index, { hook }] of pairs.entries()) {
    const path = `/hook/${['8120000000111', '8120000000112', '8120000000113', '8120000000114'][index]}`
    const sequences = forPath(path).map((request) => (verify(request, hook.secret) as { data: { sequence: number } }).data.sequence)
    if (index === 2) {
      t.same(sequences, [1], 'the failing pair stopped at its first message')
      t.same((await states(hook.id)).map((s) => [s.state, s.attempts]), [['pending', 1], ['pending', 0], ['pending', 0], ['pending', 0]])
    } else {
      t.same(sequences, [1, 2, 3, 4], `pair ${index}: every step, in order`)
      t.ok((await states(hook.id)).every((s) => s.state === 'delivered' && s.attempts === 1), `pair ${index}: each attempt recorded once`)
    }
  }
  const attempts = await db.selectFrom('webhook_delivery_attempts as a').innerJoin('webhook_deliveries as d', 'd.id', 'a.delivery_id').select(['a.outcome', 'a.status_code']).where('d.webhook_id', 'in', pairs.map(({ hook }) => hook.id)).execute()
  t.equal(attempts.length, 13, 'twelve deliveries and one failed attempt in the log')
})

t.test('a message committed while its pair\'s job starts is delivered by that job, not left without one', async (t) => {
  // The fan-out of a second step found the pair's job still waiting (so its own job was dropped)
  // and commits only after that job has started: the job's read must wait for the commit.
  const path = '/hook/8120000000121'
  const { hook, data, permit } = await permitWithSteps('8120000000121', ['forwarded'])
  let commit!: () => void
  const committed = new Promise<void>((resolve) => (commit = resolve))
  let inserted!: () => void
  const insertedSecond = new Promise<void>((resolve) => (inserted = resolve))
  const fanOut = db.transaction().execute(async (trx) => {
    await trx
      .insertInto('webhook_deliveries')
      .values({ webhook_id: hook.id, organisation_id: permit.organisation_id, event_type: 'permit.received', subject_id: permit.id, sequence: 2, payload: JSON.stringify({ type: 'permit.received', data: { sequence: 2 } }), source: `race:${permit.id}` })
      .execute()
    inserted()
    await committed
  })
  await insertedSecond
  const delivering = deliverPending(deps, data, firstTry)
  await new Promise((resolve) => setTimeout(resolve, 100))
  commit()
  await fanOut
  await delivering
  t.same(forPath(path).map((request) => (JSON.parse(request.body) as { data: { sequence: number } }).data.sequence), [1, 2], 'both steps, in order, by the one job')
  t.ok((await states(hook.id)).every((s) => s.state === 'delivered'))
})
