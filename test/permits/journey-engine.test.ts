/**
 * The whole INATRADE side on the real job engine (pg-boss) and a listening gateway: a permit
 * enqueued with its forward job reaches `issued` through the stub's signed callbacks; one of a
 * NIB whose INATRADE is down retries visibly and completes, exactly once, when it comes back.
 */
import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { QUEUE_POLICIES } from '../../src/jobs/queues.ts'
import { FORWARD_QUEUE } from '../../src/modules/permits/journey-deps.ts'
import { forwardingKey } from '../../src/modules/permits/forwarding.ts'
import { setupTestContext, testConfig } from '../helpers/app.ts'
import { freePort } from '../helpers/live-gateway.ts'
import { deliveredCount, eventsOf, insertPermit, permitOf, setInatradeMode } from '../helpers/permits.ts'

const context = await setupTestContext(t)
const db = context.database.handle.db
const port = await freePort()
const url = `http://127.0.0.1:${port}`
// Retries a second apart instead of the production backoff, so the story fits in a test.
const jobQueues = QUEUE_POLICIES.map((queue) => ({ ...queue, retryDelay: 1, retryDelayMax: 1 }))
const app = await buildApp({ config: testConfig({ PUBLIC_URL: url, PORT: String(port), JOB_POLL_INTERVAL_MS: '500' }), database: context.database.handle, upstreams: context.upstreams, jobQueues })
t.teardown(() => app.close())
await app.listen({ port, host: '127.0.0.1' })

async function enqueue(permitId: string): Promise<void> {
  await db.transaction().execute((trx) => app.jobs.send(trx, FORWARD_QUEUE, { permitId }, { singletonKey: `permit:${permitId}` }))
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

t.test('enqueued with its job, the permit reaches issued through the callbacks', async (t) => {
  const permit = await insertPermit(db)
  await enqueue(permit.id)
  await until(async () => (await permitOf(db, permit.id)).status === 'issued', 'issued')
  t.same((await eventsOf(db, permit.id)).map((e) => e.status_to), ['forwarded', 'received', 'under_review', 'approved', 'issued'])
  t.equal((await deliveredCount(context.sandbox.inatradeUrl, forwardingKey(permit.id))).created, 1)
})

t.test('INATRADE down: retries visible in the events, then delivered once when it is back', async (t) => {
  await setInatradeMode(context.sandbox.inatradeUrl, '8120000000008', { mode: 'down' })
  const permit = await insertPermit(db, { nib: '8120000000008' })
  await enqueue(permit.id)
  await until(async () => (await eventsOf(db, permit.id)).filter((e) => e.outcome === 'retrying').length >= 2, 'two retries')
  t.equal((await permitOf(db, permit.id)).status, 'submitted', 'waiting, not lost')
  await setInatradeMode(context.sandbox.inatradeUrl, '8120000000008', { mode: 'normal', outcome: 'APPROVED', stepDelaysMs: [100, 100] })
  await until(async () => (await permitOf(db, permit.id)).status === 'issued', 'issued after INATRADE came back')
  const story = (await eventsOf(db, permit.id)).map((e) => e.type)
  t.ok(story.indexOf('permit.forwarded') > story.lastIndexOf('permit.forwarding_attempted'), 'attempts, then forwarded')
  t.equal((await deliveredCount(context.sandbox.inatradeUrl, forwardingKey(permit.id))).created, 1)
})
