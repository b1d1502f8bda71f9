/**
 * The one status table and the journey functions: moveStatus refuses what the table forbids (in the
 * service and in SQL), two concurrent moves cannot both win, and every change writes one event with
 * a gapless per-permit sequence in the same transaction.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { moveStatus, recordEvent, recordFirstEvent } from '../../src/modules/permits/journey.ts'
import { CANCELLABLE, canMove, FINAL, fromInatradeStatus, isBehind, PERMIT_STATUSES, predecessorsOf } from '../../src/modules/permits/status.ts'
import { buildTestApp, setupTestContext } from '../helpers/app.ts'
import { createOrg } from '../helpers/orgs.ts'

const context = await setupTestContext(t)
const app = await buildTestApp(t, context)
await app.ready()
const db = context.database.handle.db
const org = await createOrg(app, '8120000000001')

const system = { type: 'system' as const }

async function newPermit(status: 'submitted' | 'approved' = 'submitted') {
  const id = randomUUID()
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('permits')
      .values({
        id,
        organisation_id: org.orgId,
        reference_number: `PRM-2026-${id.slice(0, 10).toUpperCase()}`,
        permit_type: 'PI-GULA',
        client_reference: `journey-${id}`,
        status,
        applicant: JSON.stringify({ nib: '8120000000001', npwp: '010000000001000', name: 'PT Sandbox Impor Sejahtera', address: null }),
        payload: JSON.stringify({ lines: [] }),
        submission_sha256: 'a'.repeat(64),
        receipt: 'x.y.z',
        trace_id: 'b'.repeat(32),
        submitted_by_type: 'client',
        submitted_by_id: 'test',
        due_at: new Date(Date.now() + 86_400_000),
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    await recordFirstEvent(trx, row, { type: 'permit.submitted', actor: system, hop: 'gateway', outcome: 'succeeded' })
    return row
  })
}

const eventsOf = (id: string) => db.selectFrom('permit_events').selectAll().where('permit_id', '=', id).orderBy('sequence').execute()

t.test('the transition table', async (t) => {
  t.ok(canMove('submitted', 'forwarded'))
  t.ok(canMove('under_review', 'approved'))
  t.ok(canMove('approved', 'issued'))
  t.notOk(canMove('approved', 'cancelled'), 'a decision cannot be cancelled')
  t.notOk(canMove('issued', 'under_review'), 'never backwards')
  t.notOk(canMove('rejected', 'approved'))
  t.ok(canMove('forwarding_failed', 'submitted'), 'an operator retry')
  t.same([...FINAL].sort(), ['cancelled', 'issued', 'rejected'])
  t.same([...CANCELLABLE].sort(), ['forwarded', 'forwarding_failed', 'received', 'submitted', 'under_review'])
  t.same(predecessorsOf('issued'), ['approved'])
  for (const status of PERMIT_STATUSES) t.notOk(canMove(status, status), `${status} does not move to itself`)
  t.ok(isBehind('under_review', 'approved'), 'a late UNDER_REVIEW is behind APPROVED')
  t.notOk(isBehind('approved', 'under_review'))
  t.equal(fromInatradeStatus('UNDER_REVIEW'), 'under_review')
})

t.test('moveStatus moves along the table and writes the event in the same transaction', async (t) => {
  const permit = await newPermit()
  const result = await db.transaction().execute((trx) => moveStatus(trx, permit.id, 'forwarded', { type: 'permit.forwarded', actor: system, hop: 'inatrade', outcome: 'succeeded', detail: { attempt: 1 } }, { inatrade_id: `INA-${permit.id}` }))
  t.ok(result.moved)
  const row = await db.selectFrom('permits').selectAll().where('id', '=', permit.id).executeTakeFirstOrThrow()
  t.equal(row.status, 'forwarded')
  t.equal(row.inatrade_id, `INA-${permit.id}`, 'the changes go with the move')
  const events = await eventsOf(permit.id)
  t.same(events.map((event) => [event.sequence, event.type, event.status_from, event.status_to]), [
    [1, 'permit.submitted', null, 'submitted'],
    [2, 'permit.forwarded', 'submitted', 'forwarded'],
  ])
  t.equal(events[1]!.trace_id, permit.trace_id, 'the journey keeps its trace id')
})

t.test('moveStatus refuses a move the table forbids, and writes nothing', async (t) => {
  const permit = await newPermit('approved')
  const result = await db.transaction().execute((trx) => moveStatus(trx, permit.id, 'cancelled', { type: 'permit.cancelled', actor: system, hop: 'gateway', outcome: 'succeeded' }))
  t.match(result, { moved: false, reason: 'not_allowed', current: 'approved' })
  t.equal((await db.selectFrom('permits').select('status').where('id', '=', permit.id).executeTakeFirstOrThrow()).status, 'approved')
  t.equal((await eventsOf(permit.id)).length, 1, 'no event for a refused move')
  const missing = await db.transaction().execute((trx) => moveStatus(trx, randomUUID(), 'forwarded', { type: 'x', actor: system, hop: 'gateway', outcome: 'succeeded' }))
  t.match(missing, { moved: false, reason: 'not_found' })
})

t.test('a rolled-back move leaves neither the status nor the event', async (t) => {
  const permit = await newPermit()
  await t.rejects(
    db.transaction().execute(async (trx) => {
      await moveStatus(trx, permit.id, 'cancelled', { type: 'permit.cancelled', actor: system, hop: 'gateway', outcome: 'succeeded' })
      throw new Error('the enqueue failed')
    }),
    /the enqueue failed/,
  )
  t.equal((await db.selectFrom('permits').select('status').where('id', '=', permit.id).executeTakeFirstOrThrow()).status, 'submitted')
  t.equal((await eventsOf(permit.id)).length, 1)
})

t.test('concurrent moves: exactly one wins, the sequence has no gap', async (t) => {
  const permit = await newPermit()
  // A callback approving and the applicant cancelling at the same moment: the loser sees the winner's status.
  const [approve, cancel] = await Promise.all([
    db.transaction().execute((trx) => moveStatus(trx, permit.id, 'approved', { type: 'permit.status_changed', actor: { type: 'upstream' }, hop: 'inatrade', outcome: 'succeeded' })),
    db.transaction().execute((trx) => moveStatus(trx, permit.id, 'cancelled', { type: 'permit.cancelled', actor: { type: 'user', id: 'u' }, hop: 'gateway', outcome: 'succeeded' })),
  ])
  t.equal([approve.moved, cancel.moved].filter(Boolean).length, 1, 'one wins')
  const loser = approve.moved ? cancel : approve
  t.match(loser, { moved: false, reason: 'not_allowed' })
  const final = (await db.selectFrom('permits').select('status').where('id', '=', permit.id).executeTakeFirstOrThrow()).status
  t.equal(final, approve.moved ? 'approved' : 'cancelled')
  // Many concurrent non-moving events: sequences stay 1..n.
  await Promise.all(Array.from({ length: 8 }, (_, i) => db.transaction().execute((trx) => recordEvent(trx, permit.id, { type: 'permit.forwarding_attempted', actor: system, hop: 'inatrade', outcome: 'retrying', detail: { attempt: i } }))))
  const sequences = (await eventsOf(permit.id)).map((event) => event.sequence)
  t.same(sequences, Array.from({ length: sequences.length }, (_, i) => i + 1))
  t.equal(sequences.length, 10)
})
