/** SQL for the append-only audit log. Functions take the db (or the change's transaction) first. */
import { type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { AuditActorKind } from '../../db/tables/rbac.ts'
import type { Cursor } from '../../http/pagination.ts'
import { afterCursor, keysetPosition } from '../../db/keyset.ts'
import { currentCallerRequestId } from '../../plugins/request-context.ts'

type Db = Kysely<Database> | Transaction<Database>

export interface AuditActor {
  kind: AuditActorKind
  id: string | null
}

export interface NewAuditEvent {
  organisationId: string | null
  actor: AuditActor
  action: string
  targetType: string
  targetId: string | null
  before?: unknown
  after?: unknown
  /** The gateway's id of the request (request.id); the caller's own X-Request-Id is added from the request context. */
  requestId?: string
}

export async function recordAudit(db: Db, event: NewAuditEvent): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      organisation_id: event.organisationId,
      actor_kind: event.actor.kind,
      actor_id: event.actor.id,
      action: event.action,
      target_type: event.targetType,
      target_id: event.targetId,
      before: event.before === undefined || event.before === null ? null : JSON.stringify(event.before),
      after: event.after === undefined || event.after === null ? null : JSON.stringify(event.after),
      request_id: event.requestId ?? null,
      caller_request_id: currentCallerRequestId() ?? null,
    })
    .execute()
}

export interface AuditFilter {
  organisationId: string
  actor?: string
  action?: string
  from?: string
  to?: string
  cursor?: Cursor
  limit: number
}

export function listAuditEvents(db: Db, filter: AuditFilter) {
  let query = db
    .selectFrom('audit_events')
    .selectAll()
    // Full-precision position for the cursor (a JS Date would drop the microseconds and skip rows).
    .select(keysetPosition('occurred_at').as('position_at'))
    .where('organisation_id', '=', filter.organisationId)
  if (filter.actor) query = query.where('actor_id', '=', filter.actor)
  if (filter.action) {
    // `user.` matches every user event; `user.created` exactly that one.
    query = filter.action.endsWith('.') ? query.where('action', 'like', `${filter.action.replaceAll(/[%_\\]/g, '\\$&')}%`) : query.where('action', '=', filter.action)
  }
  if (filter.from) query = query.where('occurred_at', '>=', new Date(filter.from))
  if (filter.to) query = query.where('occurred_at', '<', new Date(filter.to))
  if (filter.cursor) query = query.where(afterCursor('occurred_at', 'id', filter.cursor))
  return query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute()
}
