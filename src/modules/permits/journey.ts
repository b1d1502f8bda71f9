/**
 * A permit's journey: every status change and every notable step is one `permit_events` row,
 * written in the transaction of the change it records (the notifications fan-out reads them).
 * Both functions lock the permit row first, so the per-permit `sequence` has no gaps or
 * duplicates and concurrent writers (a callback, the reconciliation, a cancel) take turns.
 */
import { sql, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { PermitEventActor, PermitEventHop, PermitEventOutcome, PermitStatus, PermitsTable } from '../../db/tables/permits.ts'
import { canMove, predecessorsOf } from './status.ts'
import type { Updateable, Selectable } from 'kysely'

export interface EventActor {
  type: PermitEventActor
  /** User id, machine client id or operator id; absent for the system and upstreams. */
  id?: string | null
}

export interface PermitEventInput {
  type: string
  actor: EventActor
  hop: PermitEventHop
  outcome: PermitEventOutcome
  /** Reason, attempt, HTTP status, retry time, licence number… never personal data. */
  detail?: Record<string, unknown>
  occurredAt?: Date
}

export interface RecordedEvent {
  id: string
  sequence: number
  occurredAt: Date
}

type PermitRow = Selectable<PermitsTable>

/** Locks the permit for the rest of the transaction; undefined when it does not exist. */
export async function lockPermit(trx: Transaction<Database>, permitId: string): Promise<PermitRow | undefined> {
  return trx.selectFrom('permits').selectAll().where('id', '=', permitId).forUpdate().executeTakeFirst()
}

/**
 * The columns an event fills whatever the writer (one event, a new permit's first events, a
 * batch): `detail` as an object; a writer that inserts through Kysely's values stringifies it.
 */
export function eventColumns(event: PermitEventInput) {
  return {
    type: event.type,
    actor_type: event.actor.type,
    actor_id: event.actor.id ?? null,
    hop: event.hop,
    outcome: event.outcome,
    detail: event.detail ?? {},
  }
}

async function insertEvent(
  trx: Transaction<Database>,
  permit: Pick<PermitRow, 'id' | 'organisation_id' | 'trace_id'>,
  event: PermitEventInput,
  statusFrom: PermitStatus | null,
  statusTo: PermitStatus | null,
): Promise<RecordedEvent> {
  const row = await trx
    .insertInto('permit_events')
    .values({
      permit_id: permit.id,
      organisation_id: permit.organisation_id,
      sequence: sql<number>`(select coalesce(max(sequence), 0) + 1 from permit_events where permit_id = ${permit.id})`,
      status_from: statusFrom,
      status_to: statusTo,
      ...eventColumns(event),
      detail: JSON.stringify(event.detail ?? {}),
      trace_id: permit.trace_id,
      occurred_at: event.occurredAt ?? new Date(),
    })
    .returning(['id', 'sequence', 'occurred_at'])
    .executeTakeFirstOrThrow()
  return { id: String(row.id), sequence: row.sequence, occurredAt: row.occurred_at }
}

/** Records a step that does not change the status (an attempt, an ignored callback…). */
export async function recordEvent(trx: Transaction<Database>, permitId: string, event: PermitEventInput): Promise<RecordedEvent | undefined> {
  const permit = await lockPermit(trx, permitId)
  if (!permit) return undefined
  return insertEvent(trx, permit, event, null, null)
}

/** Records the very first event of a permit inserted in this transaction (no lock needed: nobody else sees it yet). */
export async function recordFirstEvent(
  trx: Transaction<Database>,
  permit: Pick<PermitRow, 'id' | 'organisation_id' | 'trace_id' | 'status'>,
  event: PermitEventInput,
): Promise<RecordedEvent> {
  return insertEvent(trx, permit, event, null, permit.status)
}

/**
 * The first events of a new permit, stored by the statement that inserts it (repository.ts
 * `insertSubmission`) with sequences 1..n (nobody else sees the permit yet): the steps before it
 * existed (the OSS and KSWP checks), then its submission, which alone carries the status.
 * `detail` stays an object: the statement sends the rows as one JSON document.
 */
export function firstEventRows(permit: Pick<PermitRow, 'id' | 'organisation_id' | 'trace_id' | 'status'>, events: PermitEventInput[], now: Date = new Date()) {
  return events.map((event, index) => ({
    permit_id: permit.id,
    organisation_id: permit.organisation_id,
    sequence: index + 1,
    status_from: null,
    status_to: index === events.length - 1 ? permit.status : null,
    ...eventColumns(event),
    trace_id: permit.trace_id,
    occurred_at: event.occurredAt ?? now,
  }))
}

export type MoveResult =
  | { moved: true; from: PermitStatus; permit: PermitRow; event: RecordedEvent }
  | { moved: false; reason: 'not_found' }
  | { moved: false; reason: 'not_allowed'; current: PermitStatus; permit: PermitRow }

/**
 * Moves a permit to `to` when the transition table allows it from its current status, with its
 * event. `changes` are further columns written with the move (licence, inatrade_id, reason…).
 * The update repeats the rule in SQL (`where status in (predecessors)`): the table holds even for
 * a caller that skipped the check.
 */
export async function moveStatus(
  trx: Transaction<Database>,
  permitId: string,
  to: PermitStatus,
  event: PermitEventInput,
  changes: Omit<Updateable<PermitsTable>, 'id' | 'status' | 'status_changed_at' | 'organisation_id'> = {},
): Promise<MoveResult> {
  const current = await lockPermit(trx, permitId)
  if (!current) return { moved: false, reason: 'not_found' }
  if (!canMove(current.status, to)) return { moved: false, reason: 'not_allowed', current: current.status, permit: current }
  const now = event.occurredAt ?? new Date()
  const updated = await trx
    .updateTable('permits')
    .set({ ...changes, status: to, status_changed_at: now, updated_at: now })
    .where('id', '=', permitId)
    .where('status', 'in', predecessorsOf(to))
    .returningAll()
    .executeTakeFirst()
  if (!updated) return { moved: false, reason: 'not_allowed', current: current.status, permit: current }
  const recorded = await insertEvent(trx, updated, event, current.status, to)
  return { moved: true, from: current.status, permit: updated, event: recorded }
}
