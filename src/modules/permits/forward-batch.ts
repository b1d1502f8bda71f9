/**
 * A batch of permits INATRADE just acknowledged as RECEIVED, recorded at once: one UPDATE moves
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
import type { PermitEventInput } from './journey.ts'
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
  const events = forwards
    .filter((forward) => movedIds.has(forward.permitId))
    .flatMap((forward) =>
      forward.events.map((event, step) => ({
        permit_id: forward.permitId,
        step: step + 1,
        type: event.type,
        status_from: step === 0 ? FROM : PATH[0],
        status_to: PATH[step],
        actor_type: event.actor.type,
        actor_id: event.actor.id ?? null,
        hop: event.hop,
        outcome: event.outcome,
        detail: event.detail ?? {},
        occurred_at: (event.occurredAt ?? now).toISOString(),
      })),
    )
  // One parameter and one SQL text whatever the batch's size: prepared once per connection.
  // The UPDATE above holds each row's lock, so max + step is gapless; this statement does not
  // see its own rows, hence + step.
  await sql`
    insert into permit_events (permit_id, organisation_id, sequence, type, status_from, status_to, actor_type, actor_id, hop, outcome, detail, trace_id, occurred_at)
    select e.permit_id, p.organisation_id,
           (select coalesce(max(x.sequence), 0) from permit_events x where x.permit_id = e.permit_id) + e.step,
           e.type, e.status_from, e.status_to, e.actor_type, e.actor_id, e.hop, e.outcome, e.detail, p.trace_id, e.occurred_at
      from jsonb_to_recordset(${JSON.stringify(events)}::jsonb)
           as e(permit_id uuid, step int, type text, status_from text, status_to text, actor_type text, actor_id text, hop text, outcome text, detail jsonb, occurred_at timestamptz)
      join permits p on p.id = e.permit_id
     order by e.permit_id, e.step`.execute(trx)
  return movedIds
}
