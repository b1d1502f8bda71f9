/**
 * The permit.forward job against the INATRADE sandbox stub: one application per permit whatever
 * happens, the journey's trace id on the wire, the callback URL from PUBLIC_URL, events that
 * tell the story, and the permits it must leave alone.
 */
import t from 'tap'
import { applicationInput, forwardPermit, forwardPermits, forwardingKey, operatorRetryForward } from '../../src/modules/permits/forwarding.ts'
import { createUpstreams } from '../../src/upstreams/index.ts'
import { setupTestContext } from '../helpers/app.ts'
import { deliveredCount, eventsOf, insertPermit, jobContext, permitOf, testJourneyDeps } from '../helpers/permits.ts'

const context = await setupTestContext(t)
const db = context.database.handle.db
const deps = testJourneyDeps(db, context.upstreams, { publicUrl: 'https://gateway.example/base' })

async function journal(): Promise<{ method: string; url: string; headers: Record<string, string>; body: Record<string, unknown> }[]> {
  return (await (await fetch(`${context.sandbox.inatradeUrl}/__sandbox/requests`)).json()) as never
}

t.test('a submitted permit is filed once, with its key, trace id and callback URL', async (t) => {
  const permit = await insertPermit(db)
  await forwardPermit(deps, { permitId: permit.id }, jobContext())

  const after = await permitOf(db, permit.id)
  t.equal(after.status, 'received', 'INATRADE acknowledged it as RECEIVED')
  t.match(after.inatrade_id, /^[0-9a-f-]{36}$/)
  t.equal(after.forwarding_attempts, 1)
  t.equal(after.last_forwarding_error, null)

  const events = await eventsOf(db, permit.id)
  t.same(events.map((e) => [e.type, e.status_from, e.status_to, e.hop, e.outcome]), [
    ['permit.forwarded', 'submitted', 'forwarded', 'inatrade', 'succeeded'],
    ['permit.status_changed', 'forwarded', 'received', 'inatrade', 'succeeded'],
  ])
  t.equal(events[0]!.detail.attempt, 1)
  t.type(events[0]!.detail.latencyMs, 'number')
  t.ok(events.every((e) => e.trace_id === permit.trace_id), 'every event carries the journey trace id')

  const sent = (await journal()).filter((entry) => entry.headers['idempotency-key'] === forwardingKey(permit.id))
  t.equal(sent.length, 1)
  t.match(sent[0]!.headers.traceparent, new RegExp(`^00-${permit.trace_id}-[0-9a-f]{16}-01$`), 'traceparent continues the journey trace')
  t.equal(sent[0]!.body.callbackUrl, 'https://gateway.example/v1/callbacks/inatrade')
  t.equal(sent[0]!.body.referenceNumber, permit.reference_number)
  t.match(sent[0]!.body.applicant, { nik: /^[0-9]{16}$/ }, 'the person in charge comes from OSS when the gateway holds none')
})

t.test('a batch is recorded as the one-permit path records each permit; skips and failures stay per job', async (t) => {
  const single = await insertPermit(db)
  await forwardPermit(deps, { permitId: single.id }, jobContext())
  const batched = [await insertPermit(db), await insertPermit(db), await insertPermit(db)]
  // An earlier step of the first one: its forwarding events continue its sequence.
  await db
    .insertInto('permit_events')
    .values({ permit_id: batched[0]!.id, organisation_id: batched[0]!.organisation_id, sequence: 1, type: 'permit.submitted', status_to: 'submitted', actor_type: 'system', hop: 'gateway', outcome: 'succeeded', detail: '{}', trace_id: batched[0]!.trace_id })
    .execute()
  const down = await insertPermit(db, { nib: '8120000000008' })
  const cancelled = await insertPermit(db, { status: 'cancelled' })
  const jobs = [...batched, down, cancelled, batched[1]!].map((permit) => ({ data: { permitId: permit.id }, job: jobContext() }))

  const outcomes = await forwardPermits(deps, jobs)
  t.same([outcomes[0], outcomes[1], outcomes[2], outcomes[4], outcomes[5]], [undefined, undefined, undefined, undefined, undefined], 'forwarded, skipped (cancelled) and the duplicate job are done')
  t.ok(outcomes[3] instanceof Error, 'INATRADE down: that job alone is retried')

  const shape = (events: Awaited<ReturnType<typeof eventsOf>>) =>
    events.map((e) => [e.type, e.status_from, e.status_to, e.actor_type, e.actor_id, e.hop, e.outcome, Object.keys(e.detail).sort()])
  const expected = shape(await eventsOf(db, single.id))
  for (const permit of batched) {
    const after = await permitOf(db, permit.id)
    t.equal(after.status, 'received')
    t.match(after.inatrade_id, /^[0-9a-f-]{36}$/)
    t.equal(after.forwarding_attempts, 1)
    const events = await eventsOf(db, permit.id)
    const forwarding = permit === batched[0] ? events.slice(1) : events
    t.same(shape(forwarding), expected, 'the same events as one permit forwarded alone')
    t.same(events.map((e) => e.sequence), events.map((_, index) => index + 1), 'gapless sequence')
    t.ok(events.every((e) => e.trace_id === permit.trace_id))
    t.equal(forwarding[0]!.detail.inatradeId, after.inatrade_id)
    t.same(await deliveredCount(context.sandbox.inatradeUrl, forwardingKey(permit.id)), { total: 1, created: 1, replayed: 0 }, 'filed exactly once')
  }
  t.equal((await permitOf(db, down.id)).status, 'submitted')
  t.same((await eventsOf(db, down.id)).map((e) => [e.type, e.outcome]), [['permit.forwarding_attempted', 'retrying']])
  t.equal((await deliveredCount(context.sandbox.inatradeUrl, forwardingKey(cancelled.id))).total, 0, 'a cancelled permit is never sent')
})

t.test('failures of a batch are recorded together: each attempt counted with its event, the last one dead-lettered', async (t) => {
  // No free deferral: INATRADE's 503 counts as an attempt, so the last one gives up. Upstreams of its
  // own: its failures would count in the shared circuit breaker and open it for the tests after.
  const { sandbox } = context
  const upstreams = createUpstreams({ ossUrl: sandbox.ossUrl, djpUrl: sandbox.djpUrl, inatradeUrl: sandbox.inatradeUrl })
  t.teardown(() => upstreams.close())
  const strict = testJourneyDeps(db, upstreams, { maxDeferredAttempts: 0 })
  const [retrying, lastTry] = [await insertPermit(db, { nib: '8120000000008' }), await insertPermit(db, { nib: '8120000000008' })]
  const outcomes = await forwardPermits(strict, [
    { data: { permitId: retrying.id }, job: jobContext(0) },
    { data: { permitId: lastTry.id }, job: jobContext(8, true) },
  ])
  t.ok(outcomes[0] instanceof Error, 'the first is retried')
  t.ok(outcomes[1] instanceof Error, 'the last attempt fails into the dead letter')
  const first = await permitOf(db, retrying.id)
  t.same([first.status, first.forwarding_attempts], ['submitted', 1])
  t.match(first.last_forwarding_error, /^UPSTREAM_UNAVAILABLE: /)
  t.same((await eventsOf(db, retrying.id)).map((e) => [e.sequence, e.type, e.outcome, e.detail.next]), [[1, 'permit.forwarding_attempted', 'retrying', 'backoff']])
  t.equal((await permitOf(db, lastTry.id)).status, 'forwarding_failed')
  t.same((await eventsOf(db, lastTry.id)).map((e) => [e.sequence, e.type, e.outcome, e.status_to]), [
    [1, 'permit.forwarding_attempted', 'failed', null],
    [2, 'permit.forwarding_failed', 'failed', 'forwarding_failed'],
  ])
})

t.test('a re-run after a crash between INATRADE answering and the commit files nothing new', async (t) => {
  const permit = await insertPermit(db)
  // The first run "crashed": INATRADE got the application, the gateway recorded nothing.
  const first = await context.upstreams.inatrade.submitApplication(await applicationInput(deps, permit, `00-${permit.trace_id}-1111111111111111-01`), {
    idempotencyKey: forwardingKey(permit.id),
  })
  await forwardPermit(deps, { permitId: permit.id }, jobContext(1))
  const after = await permitOf(db, permit.id)
  t.equal(after.inatrade_id, first.inatradeId, 'the replayed answer names the same application')
  t.same(await deliveredCount(context.sandbox.inatradeUrl, forwardingKey(permit.id)), { total: 2, created: 1, replayed: 1 })
  const [forwarded] = await eventsOf(db, permit.id)
  t.equal(forwarded!.detail.replayed, true)
})

t.test('permits past submitted, or gone, are left alone', async (t) => {
  const cancelled = await insertPermit(db, { status: 'cancelled' })
  const forwarded = await insertPermit(db, { status: 'forwarded', inatradeId: 'already-there' })
  await forwardPermit(deps, { permitId: cancelled.id }, jobContext())
  await forwardPermit(deps, { permitId: forwarded.id }, jobContext())
  await forwardPermit(deps, { permitId: '00000000-0000-4000-8000-000000000000' }, jobContext())
  t.equal((await deliveredCount(context.sandbox.inatradeUrl, forwardingKey(cancelled.id))).total, 0)
  t.equal((await deliveredCount(context.sandbox.inatradeUrl, forwardingKey(forwarded.id))).total, 0)
  t.equal((await permitOf(db, cancelled.id)).status, 'cancelled')
  t.same(await eventsOf(db, forwarded.id), [])
})

t.test('a permit cancelled while its forwarding was on the wire is withdrawn at INATRADE too', async (t) => {
  const permit = await insertPermit(db)
  const sentBefore = deps.sent.length
  const racing = { ...deps, inatrade: { ...deps.inatrade, async submitApplication(...args: Parameters<typeof deps.inatrade.submitApplication>) {
    const answer = await deps.inatrade.submitApplication(...args)
    await db.updateTable('permits').set({ status: 'cancelled' }).where('id', '=', permit.id).execute()
    return answer
  } } }
  await forwardPermit(racing, { permitId: permit.id }, jobContext())
  const after = await permitOf(db, permit.id)
  t.equal(after.status, 'cancelled')
  t.ok(after.inatrade_id, 'the application id is kept, so it can be withdrawn')
  t.same(deps.sent.slice(sentBefore).map((job) => [job.queue, job.data]), [['permit.cancel', { permitId: permit.id }]])
  const events = await eventsOf(db, permit.id)
  t.match(events.at(-1), { type: 'permit.forwarded', outcome: 'ignored', detail: { reason: 'cancelled_meanwhile' } })
})

t.test('an operator retry moves a dead letter back to submitted with an operator event', async (t) => {
  const permit = await insertPermit(db, { status: 'forwarding_failed' })
  await operatorRetryForward({ permitId: permit.id }, db, 'operator-1')
  t.equal((await permitOf(db, permit.id)).status, 'submitted')
  t.match(await eventsOf(db, permit.id), [{ type: 'permit.forwarding_retried', actor_type: 'operator', actor_id: 'operator-1', status_from: 'forwarding_failed', status_to: 'submitted' }])
})
