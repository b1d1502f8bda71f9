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
  const moved = await sql<{ id: string; organisation_id: string; trace_id: string }>`
    update permits as p
       set status = ${PATH[1]}, inatrade_id = v.inatrade_id, forwarding_attempts = v.attempt,
           last_forwarding_error = null, status_changed_at = ${now}, updated_at = ${now}
      from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(id uuid, inatrade_id text, attempt int)
     where p.id = v.id and p.status = ${FROM}
    returning p.id, p.organisation_id, p.trace_id`.execute(trx)
  if (moved.rows.length === 0) return new Set()

  const byId = new Map(forwards.map((forward) => [forward.permitId, forward]))
  await trx
    .insertInto('permit_events')
    .values(
      moved.rows.flatMap((permit) =>
        byId.get(permit.id)!.events.map((event, step) => ({
          permit_id: permit.id,
          organisation_id: permit.organisation_id,
          // The row lock taken by the UPDATE makes max + step gapless; one statement does not see its own rows, hence + step.
          sequence: sql<number>`(select coalesce(max(sequence), 0) + ${step + 1} from permit_events where permit_id = ${permit.id})`,
          type: event.type,
          status_from: step === 0 ? FROM : PATH[0],
          status_to: PATH[step]!,
          actor_type: event.actor.type,
          actor_id: event.actor.id ?? null,
          hop: event.hop,
          outcome: event.outcome,
          detail: JSON.stringify(event.detail ?? {}),
          trace_id: permit.trace_id,
          occurred_at: event.occurredAt ?? now,
        })),
      ),
    )
    .execute()
  return new Set(moved.rows.map((row) => row.id))
}
