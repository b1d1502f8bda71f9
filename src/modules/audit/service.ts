/** Reading the audit log (writing is recordAudit, called by every service in its transaction). */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { decodeCursor, nextLink, toPage } from '../../http/pagination.ts'
import type { Principal } from '../../plugins/auth.ts'
import { requireOrgRight, type OperatorCaller, type OrgCaller } from '../orgs/authorize.ts'
import { listAuditEvents, type AuditActor } from './repository.ts'
import type { AuditEvent, AuditQuery } from './schemas.ts'

export function actorOf(caller: OrgCaller | OperatorCaller): AuditActor {
  return { kind: caller.kind, id: caller.id }
}

export async function listOrgAuditEvents(
  db: Kysely<Database>,
  principal: Principal,
  orgId: string,
  query: AuditQuery,
  requestUrl: string,
): Promise<{ items: AuditEvent[]; next: string | null }> {
  await requireOrgRight(db, principal, orgId, 'USER_MANAGEMENT', 'view')
  const limit = query.limit ?? 20
  const rows = await listAuditEvents(db, {
    organisationId: orgId,
    actor: query.actor,
    action: query.action,
    from: query.from,
    to: query.to,
    cursor: decodeCursor(query.cursor),
    limit,
  })
  return toPage(
    rows,
    limit,
    (row) => ({ at: row.position_at, id: row.id }),
    (row) => ({
      id: row.id,
      occurredAt: row.occurred_at.toISOString(),
      actor: { kind: row.actor_kind, id: row.actor_id },
      action: row.action,
      target: { type: row.target_type, id: row.target_id },
      before: (row.before ?? null) as AuditEvent['before'],
      after: (row.after ?? null) as AuditEvent['after'],
      requestId: row.request_id,
      callerRequestId: row.caller_request_id,
    }),
    (cursor) => nextLink(requestUrl, cursor),
  )
}
