/**
 * Issue 10 item 9, the forwarding side: INATRADE answering 500s, asking for time, timing out,
 * hanging up, sending garbage or huge bodies, refusing the request, opening the circuit, and
 * down for a while then back. Every permit ends delivered exactly once as INATRADE's journal sees
 * it (one 202 per idempotency key), and its events tell the story.
 *
 * The job engine is simulated by `drive`: pg-boss semantics (retryLimit retries after the first
 * attempt, isLastAttempt on the last, RetryLater runs again without counting an attempt).
 */
import t, { type Test } from 'tap'
import { MockAgent } from 'undici'
import { forwardPermit, forwardingKey, operatorRetryForward } from '../../src/modules/permits/forwarding.ts'
import type { JourneyDeps } from '../../src/modules/permits/journey-deps.ts'
import { createUpstreams, type Upstreams } from '../../src/upstreams/index.ts'
import { setupTestContext } from '../helpers/app.ts'
import { deliveredCount, eventsOf, insertPermit, jobContext, permitOf, setInatradeMode, testJourneyDeps, TestRetryLater } from '../helpers/permits.ts'

const context = await setupTestContext(t)
const db = context.database.handle.db
const { sandbox } = context

function upstreamsWith(options: Partial<Parameters<typeof createUpstreams>[0]> = {}): Upstreams {
  const upstreams = createUpstreams({
    ossUrl: sandbox.ossUrl,
    djpUrl: sandbox.djpUrl,
    inatradeUrl: sandbox.inatradeUrl,
    timeouts: { inatradeMs: 300 },
    retries: { inatrade: 1, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2_000 },
    // Out of the way unless a test is about it.
    breaker: { minimumCalls: 10_000 },
    ...options,
  })
  t.teardown(() => upstreams.close())
  return upstreams
}

const deps = testJourneyDeps(db, upstreamsWith())

interface Drive {
  outcome: 'done' | 'dead_letter' | 'gave_up'
  attempts: number
  deferrals: number
}

/** Runs a permit's forward job as the engine would, calling `between` after every run that did not finish. */
async function drive(journey: JourneyDeps, permitId: string, options: { retryLimit?: number; between?: (run: number) => Promise<void> } = {}): Promise<Drive> {
  const retryLimit = options.retryLimit ?? 5
  let retryCount = 0
  let deferrals = 0
  for (let run = 0; run < 40; run++) {
    try {
      await forwardPermit(journey, { permitId }, jobContext(retryCount, retryCount >= retryLimit))
      return { outcome: 'done', attempts: retryCount + 1, deferrals }
    } catch (error) {
      if (error instanceof TestRetryLater) deferrals++
      else if (retryCount >= retryLimit) return { outcome: 'dead_letter', attempts: retryCount + 1, deferrals }
      else retryCount++
    }
    await options.between?.(run)
  }
  return { outcome: 'gave_up', attempts: retryCount + 1, deferrals }
}

async function exactlyOnce(t: Test, permitId: string): Promise<void> {
  const journal = await deliveredCount(sandbox.inatradeUrl, forwardingKey(permitId))
  t.equal(journal.created, 1, `INATRADE created one application (journal: ${JSON.stringify(journal)})`)
}

const storyOf = async (permitId: string) => (await eventsOf(db, permitId)).map((e) => `${e.type}:${e.outcome}`)

t.test('503 with Retry-After (flaky): the job waits as asked, without spending an attempt', async (t) => {
  const permit = await insertPermit(db, { nib: '8120000000007' })
  const result = await drive(deps, permit.id)
  t.match(result, { outcome: 'done', attempts: 1, deferrals: 1 })
  t.equal((await permitOf(db, permit.id)).status, 'received')
  await exactlyOnce(t, permit.id)
  const events = await eventsOf(db, permit.id)
  t.match(events[0], { type: 'permit.forwarding_attempted', outcome: 'retrying', detail: { errorCode: 'UPSTREAM_UNAVAILABLE', next: 'retry_after', nextAttemptAt: String } })
  t.same(await storyOf(permit.id), ['permit.forwarding_attempted:retrying', 'permit.forwarded:succeeded', 'permit.status_changed:succeeded'])
})

t.test('down for a while, then back: every permit delivered once, retries visible', async (t) => {
  await setInatradeMode(sandbox.inatradeUrl, '8120000000008', { mode: 'down' })
  const permits = await Promise.all(Array.from({ length: 5 }, () => insertPermit(db, { nib: '8120000000008' })))
  // Two failed rounds for everyone, then INATRADE comes back.
  for (const permit of permits) {
    for (let i = 0; i < 2; i++) await t.rejects(forwardPermit(deps, { permitId: permit.id }, jobContext(i)), { code: 'UPSTREAM_UNAVAILABLE' })
  }
  await setInatradeMode(sandbox.inatradeUrl, '8120000000008', { mode: 'normal', outcome: 'APPROVED' })
  for (const permit of permits) {
    t.match(await drive(deps, permit.id), { outcome: 'done' })
    const after = await permitOf(db, permit.id)
    t.equal(after.status, 'received')
    t.equal(after.forwarding_attempts, 3)
    t.equal(after.last_forwarding_error, null)
    await exactlyOnce(t, permit.id)
    t.same(await storyOf(permit.id), ['permit.forwarding_attempted:retrying', 'permit.forwarding_attempted:retrying', 'permit.forwarded:succeeded', 'permit.status_changed:succeeded'])
  }
})

t.test('down past the last attempt: dead letter with the reason, operator retry delivers once', async (t) => {
  await setInatradeMode(sandbox.inatradeUrl, '8120000000008', { mode: 'down' })
  const permit = await insertPermit(db, { nib: '8120000000008' })
  t.match(await drive(deps, permit.id, { retryLimit: 2 }), { outcome: 'dead_letter', attempts: 3 })
  const dead = await permitOf(db, permit.id)
  t.equal(dead.status, 'forwarding_failed')
  t.match(dead.last_forwarding_error, /^UPSTREAM_UNAVAILABLE: INATRADE answered 503/)
  t.match((await eventsOf(db, permit.id)).at(-1), { type: 'permit.forwarding_failed', status_to: 'forwarding_failed', outcome: 'failed', detail: { attempts: 3, retryable: true } })
  t.equal((await deliveredCount(sandbox.inatradeUrl, forwardingKey(permit.id))).created, 0)

  await setInatradeMode(sandbox.inatradeUrl, '8120000000008', { mode: 'normal', outcome: 'APPROVED' })
  await operatorRetryForward({ permitId: permit.id }, db, 'operator-7')
  t.match(await drive(deps, permit.id), { outcome: 'done' })
  t.equal((await permitOf(db, permit.id)).status, 'received')
  await exactlyOnce(t, permit.id)
  t.match((await storyOf(permit.id)).slice(-4), ['permit.forwarding_failed:failed', 'permit.forwarding_retried:succeeded', 'permit.forwarded:succeeded', 'permit.status_changed:succeeded'])
})

t.test('timing out (slow): INATRADE may have filed it; the retry learns the same application', async (t) => {
  // 100 s scaled by the sandbox's 0.01: each answer takes 1 s, the adapter waits 300 ms.
  await setInatradeMode(sandbox.inatradeUrl, '8120000000006', { mode: 'slow', delayMs: 100_000, outcome: 'APPROVED' })
  const permit = await insertPermit(db, { nib: '8120000000006' })
  await t.rejects(forwardPermit(deps, { permitId: permit.id }, jobContext()), { code: 'UPSTREAM_TIMEOUT' })
  // Let the stub finish the requests the gateway gave up on.
  await new Promise((resolve) => setTimeout(resolve, 1_500))
  await setInatradeMode(sandbox.inatradeUrl, '8120000000006', { mode: 'normal', outcome: 'APPROVED' })
  t.match(await drive(deps, permit.id), { outcome: 'done' })
  const events = await eventsOf(db, permit.id)
  t.match(events[0], { type: 'permit.forwarding_attempted', outcome: 'retrying', detail: { errorCode: 'UPSTREAM_TIMEOUT', next: 'backoff' } })
  t.match(events.find((e) => e.type === 'permit.forwarded'), { detail: { replayed: true } }, 'INATRADE replayed the application the timed-out call created')
  // INATRADE decided while the gateway was not listening for it (its callbacks found no forwarded
  // permit): a replayed answer is followed at once by a look-up, not by the reconciliation's wait.
  t.equal((await permitOf(db, permit.id)).status, 'issued', 'caught up with INATRADE\'s decision right after the replay')
  t.ok(events.length > 0 && (await eventsOf(db, permit.id)).some((e) => e.type === 'permit.document_issued'), 'and the licence document issued')
  await exactlyOnce(t, permit.id)
})

t.test('resetting connections (down, hang up): retried, then delivered once', async (t) => {
  const permit = await insertPermit(db, { nib: '8120000000009' })
  await t.rejects(forwardPermit(deps, { permitId: permit.id }, jobContext()), { code: 'UPSTREAM_UNAVAILABLE' })
  t.match((await eventsOf(db, permit.id))[0], { outcome: 'retrying', detail: { error: /connection failed|call failed/ } })
  await setInatradeMode(sandbox.inatradeUrl, '8120000000009', { mode: 'normal', outcome: 'APPROVED' })
  t.match(await drive(deps, permit.id), { outcome: 'done' })
  await exactlyOnce(t, permit.id)
})

t.test('garbage, huge bodies and a 500 are retried; a 400 is a gateway bug and fails at once', async (t) => {
  const agent = new MockAgent()
  agent.enableNetConnect(/127\.0\.0\.1/)
  t.teardown(() => agent.close())
  const mocked = testJourneyDeps(db, upstreamsWith({ inatradeUrl: 'http://inatrade.mock', dispatcher: agent }))
  const pool = agent.get('http://inatrade.mock')
  const permit = await insertPermit(db)
  const receipt = { inatradeId: 'f3b0c2aa-0000-4000-8000-000000000001', referenceNumber: permit.reference_number, status: 'RECEIVED', receivedAt: new Date().toISOString() }
  const post = { path: '/inatrade/v1/applications', method: 'POST' }
  pool.intercept(post).reply(200, '<html>502 Bad Gateway</html>', { headers: { 'content-type': 'text/html' } })
  pool.intercept(post).reply(200, `{"padding":"${'x'.repeat(2 * 1024 * 1024)}"}`, { headers: { 'content-type': 'application/json' } })
  pool.intercept(post).reply(500, { error: 'INTERNAL_ERROR' })
  pool.intercept(post).reply(202, receipt)

  t.match(await drive(mocked, permit.id), { outcome: 'done', attempts: 4 })
  const after = await permitOf(db, permit.id)
  t.equal(after.status, 'received')
  t.equal(after.inatrade_id, receipt.inatradeId)
  t.same((await eventsOf(db, permit.id)).filter((e) => e.type === 'permit.forwarding_attempted').map((e) => e.detail.errorCode), ['UPSTREAM_BAD_RESPONSE', 'UPSTREAM_BAD_RESPONSE', 'UPSTREAM_UNAVAILABLE'])

  const refused = await insertPermit(db)
  pool.intercept(post).reply(400, { error: 'INVALID_APPLICATION', message: 'npwp: bad' })
  t.match(await drive(mocked, refused.id), { outcome: 'done', attempts: 1 }, 'no retry: repeating cannot help')
  const failed = await permitOf(db, refused.id)
  t.equal(failed.status, 'forwarding_failed')
  t.match(failed.last_forwarding_error, /^INTERNAL_ERROR: .*gateway bug/)
  t.match((await eventsOf(db, refused.id)).at(-1), { type: 'permit.forwarding_failed', detail: { retryable: false } })
  agent.assertNoPendingInterceptors()
})

t.test('an open circuit makes jobs wait without calling INATRADE or spending attempts', async (t) => {
  await setInatradeMode(sandbox.inatradeUrl, '8120000000008', { mode: 'down' })
  const fragile = testJourneyDeps(db, upstreamsWith({ retries: { inatrade: 0, baseDelayMs: 1, maxDelayMs: 1 }, breaker: { minimumCalls: 2, failureRateThreshold: 0.5, resetAfterMs: 60_000 } }))
  const first = await insertPermit(db, { nib: '8120000000008' })
  const second = await insertPermit(db, { nib: '8120000000008' })
  await t.rejects(forwardPermit(fragile, { permitId: first.id }, jobContext()))
  await t.rejects(forwardPermit(fragile, { permitId: first.id }, jobContext(1)))
  t.equal(fragile.inatradeBreaker(), 'open')
  const before = (await deliveredCount(sandbox.inatradeUrl, forwardingKey(second.id))).total
  await t.rejects(forwardPermit(fragile, { permitId: second.id }, jobContext()), { name: 'RetryLater' })
  t.equal((await deliveredCount(sandbox.inatradeUrl, forwardingKey(second.id))).total, before, 'INATRADE was not called')
  const untouched = await permitOf(db, second.id)
  t.equal(untouched.forwarding_attempts, 0, 'no attempt spent')
  t.equal(untouched.status, 'submitted')
  await setInatradeMode(sandbox.inatradeUrl, '8120000000008', { mode: 'normal', outcome: 'APPROVED' })
})
