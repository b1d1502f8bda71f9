/**
 * Lost callbacks are caught up by the reconciliation job, fairly; stuck submissions get their
 * forward job back; and cancelling at INATRADE, before and after its decision.
 */
import t from 'tap'
import { cancelAtInatrade } from '../../src/modules/permits/cancel-at-inatrade.ts'
import { forwardPermit } from '../../src/modules/permits/forwarding.ts'
import { reconcilePermits } from '../../src/modules/permits/reconciliation.ts'
import { setupTestContext } from '../helpers/app.ts'
import { eventsOf, insertPermit, jobContext, permitOf, setInatradeMode, testJourneyDeps } from '../helpers/permits.ts'

const context = await setupTestContext(t)
const db = context.database.handle.db
// Nobody listens there: every callback is lost, as when INATRADE gives up on a down gateway.
const deps = testJourneyDeps(db, context.upstreams, { publicUrl: 'http://127.0.0.1:9' })
const settings = { afterMs: 60_000, batch: 50 }
const longAgo = () => new Date(Date.now() - 3_600_000)

async function inatradeStatus(inatradeId: string): Promise<string | undefined> {
  const lookup = await context.upstreams.inatrade.getApplication(inatradeId)
  return lookup.found ? lookup.application.status : undefined
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

async function makeStale(id: string): Promise<void> {
  await db.updateTable('permits').set({ status_changed_at: longAgo(), updated_at: longAgo() }).where('id', '=', id).execute()
}

t.test('a permit whose callbacks were lost is reconciled to issued, once', async (t) => {
  const permit = await insertPermit(db)
  await forwardPermit(deps, { permitId: permit.id }, jobContext())
  const { inatrade_id: inatradeId } = await permitOf(db, permit.id)
  await until(async () => (await inatradeStatus(inatradeId!)) === 'APPROVED', 'the stub to approve')

  const fresh = await reconcilePermits(deps, settings)
  t.equal((await permitOf(db, permit.id)).status, 'received', 'not yet stale: left alone')
  t.equal(fresh.polled, 0)

  await makeStale(permit.id)
  const run = await reconcilePermits(deps, settings)
  t.match(run, { polled: 1, applied: 1 })
  const after = await permitOf(db, permit.id)
  t.equal(after.status, 'issued')
  t.match(after.licence, { number: /^IT\.INATRADE\// })
  const events = await eventsOf(db, permit.id)
  t.same(events.slice(-2).map((e) => [e.type, e.status_to, e.actor_type]), [
    ['permit.reconciled', 'approved', 'system'],
    ['permit.document_issued', 'issued', 'system'],
  ])
  t.ok(await db.selectFrom('permit_documents').select('sha256').where('permit_id', '=', permit.id).executeTakeFirst(), 'the document exists')
  t.equal((await reconcilePermits(deps, settings)).polled, 0, 'issued permits are not polled again')
})

t.test('a stale permit INATRADE has not moved is asked about once per period, not every run', async (t) => {
  await setInatradeMode(context.sandbox.inatradeUrl, '8120000000011', { outcome: 'APPROVED', stepDelaysMs: [600_000, 600_000] })
  const permit = await insertPermit(db, { nib: '8120000000011' })
  await forwardPermit(deps, { permitId: permit.id }, jobContext())
  await makeStale(permit.id)
  const before = (await eventsOf(db, permit.id)).length
  t.match(await reconcilePermits(deps, settings), { polled: 1, unchanged: 1 })
  t.match(await reconcilePermits(deps, settings), { polled: 0 }, 'touched: waits for the next period')
  t.equal((await eventsOf(db, permit.id)).length, before, 'an unchanged answer leaves no event')
  t.equal((await permitOf(db, permit.id)).status, 'received')
})

t.test('a permit stuck in submitted gets its forward job again, as a singleton', async (t) => {
  const permit = await insertPermit(db, { statusChangedAt: longAgo() })
  const sentBefore = deps.sent.length
  const run = await reconcilePermits(deps, settings)
  t.ok(run.reforwarded >= 1)
  t.match(deps.sent.slice(sentBefore), [{ queue: 'permit.forward', data: { permitId: permit.id }, options: { singletonKey: `permit:${permit.id}` } }])
})

t.test('cancel before the decision: INATRADE confirms, the permit moves to cancelled', async (t) => {
  await setInatradeMode(context.sandbox.inatradeUrl, '8120000000010', { outcome: 'APPROVED', stepDelaysMs: [600_000, 600_000] })
  const permit = await insertPermit(db, { nib: '8120000000010' })
  await forwardPermit(deps, { permitId: permit.id }, jobContext())
  await cancelAtInatrade(deps, { permitId: permit.id }, jobContext())
  const after = await permitOf(db, permit.id)
  t.equal(after.status, 'cancelled')
  t.match((await eventsOf(db, permit.id)).at(-1), { type: 'permit.cancelled', status_from: 'received', status_to: 'cancelled', hop: 'inatrade', outcome: 'succeeded' })
  t.equal(await inatradeStatus(after.inatrade_id!), 'CANCELLED')
  // A repeat (the job re-run) is answered the same and only recorded.
  await cancelAtInatrade(deps, { permitId: permit.id }, jobContext(1))
  t.match((await eventsOf(db, permit.id)).at(-1), { type: 'permit.cancel_confirmed', outcome: 'succeeded' })
})

t.test('cancel after the decision: INATRADE refuses, the decision wins', async (t) => {
  const permit = await insertPermit(db)
  await forwardPermit(deps, { permitId: permit.id }, jobContext())
  const { inatrade_id: inatradeId } = await permitOf(db, permit.id)
  await until(async () => (await inatradeStatus(inatradeId!)) === 'APPROVED', 'the stub to approve')
  await cancelAtInatrade(deps, { permitId: permit.id }, jobContext())
  t.equal((await permitOf(db, permit.id)).status, 'received', 'the cancel request did not move it')
  t.match((await eventsOf(db, permit.id)).at(-1), { type: 'permit.cancel_refused', outcome: 'failed', detail: { reason: 'already_decided', inatradeStatus: 'APPROVED' } })
  await makeStale(permit.id)
  await reconcilePermits(deps, settings)
  t.equal((await permitOf(db, permit.id)).status, 'issued', 'the decision reached the permit')
})

t.test('a permit never forwarded has nothing to cancel at INATRADE', async (t) => {
  const permit = await insertPermit(db, { status: 'cancelled' })
  await cancelAtInatrade(deps, { permitId: permit.id }, jobContext())
  t.same(await eventsOf(db, permit.id), [])
})
