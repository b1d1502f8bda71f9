/**
 * Batches of forwards recorded at once. Acknowledged (RECEIVED): one UPDATE moves
 * them all `submitted → received` and one INSERT writes each permit's two events (`forwarded`,
 * then INATRADE's acknowledgement), the very rows the one-permit path (moveStatus to forwarded,
 * then applyInatradeReport) writes, in two statements for the whole batch instead of seven per
 * permit. That is what lets a backlog drain at the rate INATRADE takes applications.
 *
 * The UPDATE takes each row's lock and repeats the transition rule in SQL (`status = 'submitted'`),
 * so a permit another writer moved meanwhile (a cancel while the request was on the wire) is left
 * alone: it is not in the returned set, and the caller records it the careful way.
 */
import { sql, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { PermitStatus } from '../../db/tables/permits.ts'
import { eventColumns, type PermitEventInput } from './journey.ts'
import { canMove } from './status.ts'

export interface AcknowledgedForward {
  permitId: string
  inatradeId: string
  attempt: number
  /** One per step: submitted → forwarded, forwarded → received. */
  events: [PermitEventInput, PermitEventInput]
}

const FROM: PermitStatus = 'submitted'
const PATH: [PermitStatus, PermitStatus] = ['forwarded', 'received']
if (!canMove(FROM, PATH[0]) || !canMove(PATH[0], PATH[1])) throw new Error('the transition table no longer allows submitted → forwarded → received')

/** Returns the ids it moved; the others were no longer `submitted`. */
export async function recordAcknowledgedForwards(trx: Transaction<Database>, forwards: AcknowledgedForward[]): Promise<Set<string>> {
  if (forwards.length === 0) return new Set()
  const now = new Date()
  const values = forwards.map((forward) => ({ id: forward.permitId, inatrade_id: forward.inatradeId, attempt: forward.attempt }))
  const moved = await sql<{ id: string }>`
    update permits as p
       set status = ${PATH[1]}, inatrade_id = v.inatrade_id, forwarding_attempts = v.attempt,
           last_forwarding_error = null, status_changed_at = ${now}, updated_at = ${now}
      from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(id uuid, inatrade_id text, attempt int)
     where p.id = v.id and p.status = ${FROM}
    returning p.id`.execute(trx)
  if (moved.rows.length === 0) return new Set()

  const movedIds = new Set(moved.rows.map((row) => row.id))
  await insertLockedEvents(
    trx,
    forwards
      .filter((forward) => movedIds.has(forward.permitId))
      .flatMap((forward) => forward.events.map((event, step) => ({ permitId: forward.permitId, event, statusFrom: step === 0 ? FROM : PATH[0], statusTo: PATH[step]! }))),
    now,
  )
  return movedIds
}

export interface FailedAttempt {
  permitId: string
  /** The error as the permit shows it (`last_forwarding_error`). */
  lastError: string
  /** `permit.forwarding_attempted`, outcome retrying or failed. */
  event: PermitEventInput
}

/**
 * A batch of failed attempts (INATRADE down, slow, asking for time), recorded at once: one UPDATE
 * counts the attempt and keeps the error on each permit, one INSERT writes each permit's
 * `permit.forwarding_attempted` event. What follows for a permit that gives up (the move to
 * `forwarding_failed`) is the caller's, in the same transaction.
 */
export async function recordFailedAttempts(trx: Transaction<Database>, attempts: FailedAttempt[]): Promise<void> {
  if (attempts.length === 0) return
  const now = new Date()
  const values = attempts.map((attempt) => ({ id: attempt.permitId, last_error: attempt.lastError }))
  const updated = await sql<{ id: string }>`
    update permits as p
       set forwarding_attempts = p.forwarding_attempts + 1, last_forwarding_error = v.last_error, updated_at = ${now}
      from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(id uuid, last_error text)
     where p.id = v.id
    returning p.id`.execute(trx)
  const locked = new Set(updated.rows.map((row) => row.id))
  await insertLockedEvents(
    trx,
    attempts.filter((attempt) => locked.has(attempt.permitId)).map((attempt) => ({ permitId: attempt.permitId, event: attempt.event, statusFrom: null, statusTo: null })),
    now,
  )
}

interface LockedEvent {
  permitId: string
  event: PermitEventInput
  statusFrom: PermitStatus | null
  statusTo: PermitStatus | null
}

/**
 * Events of permits whose rows this transaction has locked (an UPDATE of them came first), in one
 * statement with one parameter and one SQL text whatever the batch's size (prepared once per
 * connection). The locks make max + n gapless; n counts a permit's events in this batch, since a
 * statement does not see its own rows.
 */
async function insertLockedEvents(trx: Transaction<Database>, events: LockedEvent[], now: Date): Promise<void> {
  if (events.length === 0) return
  const steps = new Map<string, number>()
  const rows = events.map(({ permitId, event, statusFrom, statusTo }) => {
    const step = (steps.get(permitId) ?? 0) + 1
    steps.set(permitId, step)
    return {
      permit_id: permitId,
      step,
      status_from: statusFrom,
      status_to: statusTo,
      ...eventColumns(event),
      occurred_at: (event.occurredAt ?? now).toISOString(),
    }
  })
  await sql`
    insert into permit_events (permit_id, organisation_id, sequence, type, status_from, status_to, actor_type, actor_id, hop, outcome, detail, trace_id, occurred_at)
    select e.permit_id, p.organisation_id,
           (select coalesce(max(x.sequence), 0) from permit_events x where x.permit_id = e.permit_id) + e.step,
           e.type, e.status_from, e.status_to, e.actor_type, e.actor_id, e.hop, e.outcome, e.detail, p.trace_id, e.occurred_at
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
           as e(permit_id uuid, step int, type text, status_from text, status_to text, actor_type text, actor_id text, hop text, outcome text, detail jsonb, occurred_at timestamptz)
      join permits p on p.id = e.permit_id
     order by e.permit_id, e.step`.execute(trx)
}
