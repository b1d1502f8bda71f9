/**
 * A compliance event (a deadline near, a sanction applied or ended), told in the transaction of
 * the change: a notification for the readers of Pelaporan Realisasi, and a message to each enabled
 * endpoint subscribed to its type, with its delivery job. The organisation's compliance events
 * share one sequence (organisations.compliance_sequence), so a receiver orders them per
 * organisation as it orders a permit's by `data.sequence`. The unique `source` makes a repeat
 * (a second evaluation of the same day) write nothing.
 */
import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { LocalisedText } from '../../db/tables/notifications.ts'
import { QUEUES } from '../../jobs/queues.ts'
import type { JobEngine } from '../../jobs/types.ts'
import type { ComplianceEventType } from '../notifications/catalogue.ts'
import { queueNotificationMessages } from '../notifications/channels.ts'
import { insertNotification } from '../notifications/repository.ts'

export const COMPLIANCE_MENU = 'PELAPORAN_REALISASI'

export interface ComplianceEvent {
  organisationId: string
  type: ComplianceEventType
  /** The obligation or sanction the event is about. */
  subjectId: string
  /** Unique per event: `sanction:<id>:applied`, `obligation:<id>:due_soon`… */
  source: string
  occurredAt: Date
  texts: { title: LocalisedText; body: LocalisedText }
  data: Record<string, unknown>
}

/** Returns false when the event was told before (same source). */
export async function publishComplianceEvent(trx: Transaction<Database>, jobs: Pick<JobEngine, 'send'>, event: ComplianceEvent): Promise<boolean> {
  const told = await trx.selectFrom('notifications').select('id').where('source', '=', event.source).executeTakeFirst()
  if (told) return false
  const { compliance_sequence: sequence } = await trx
    .updateTable('organisations')
    .set((eb) => ({ compliance_sequence: eb('compliance_sequence', '+', 1) }))
    .where('id', '=', event.organisationId)
    .returning('compliance_sequence')
    .executeTakeFirstOrThrow()
  const data = { organisationId: event.organisationId, sequence, ...event.data, links: { compliance: '/v1/compliance', obligations: '/v1/obligations' } }
  const written = await insertNotification(trx, {
    organisationId: event.organisationId,
    menuCode: COMPLIANCE_MENU,
    type: event.type,
    subjectType: 'compliance',
    subjectId: event.subjectId,
    source: event.source,
    title: event.texts.title,
    body: event.texts.body,
    data,
    occurredAt: event.occurredAt,
  })
  // Email and SMS by each reader's chosen channels, as for permit events.
  if (written) await queueNotificationMessages(trx, jobs, [written])
  const hooks = await trx
    .selectFrom('webhooks')
    .select('id')
    .where('organisation_id', '=', event.organisationId)
    .where('enabled', '=', true)
    .where(({ eb, val }) => eb(val<string>(event.type), '=', eb.fn.any('event_types')))
    .execute()
  const subjectId = `compliance:${event.organisationId}`
  const payload = JSON.stringify({ type: event.type, timestamp: event.occurredAt.toISOString(), data })
  for (const hook of hooks) {
    await trx
      .insertInto('webhook_deliveries')
      .values({ webhook_id: hook.id, organisation_id: event.organisationId, event_type: event.type, subject_id: subjectId, sequence, payload, source: event.source })
      .onConflict((oc) => oc.columns(['webhook_id', 'source']).doNothing())
      .execute()
    await jobs.send(trx, QUEUES.webhookDeliver.name, { webhookId: hook.id, subjectId }, { singletonKey: `webhook:${hook.id}:${subjectId}` })
  }
  return true
}
