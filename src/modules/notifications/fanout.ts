/**
 * The fan-out: permit events become notifications and webhook deliveries. The event table is the
 * outbox: every event is written in the transaction of the change it records, and the fan-out
 * takes a batch of events not yet handled (`fanned_out_at is null`, oldest first, `skip locked` so
 * instances share the work), writes their notifications, their deliveries and the delivery jobs,
 * and marks them handled, all in one transaction. A process killed at any point leaves the
 * events unmarked, and the next pass (here or on another instance) does them; the unique
 * `source` of a notification and of a delivery makes a repeat harmless. Submitting and
 * forwarding pay nothing for it: they already write the event.
 *
 * Only status changes are news (`status_to` set); attempts, ignored callbacks and the like stay
 * in the permit's own events and are marked handled all the same.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { QUEUES } from '../../jobs/queues.ts'
import type { JobEngine } from '../../jobs/types.ts'
import { permitEventsUrl, permitUrl } from '../permits/views.ts'
import { isNotifiedStatus, permitTexts, type EventType } from './catalogue.ts'
import { queueNotificationMessages } from './channels.ts'
import { insertNotifications, type NewNotification } from './repository.ts'

export const WEBHOOK_DELIVER_QUEUE = QUEUES.webhookDeliver.name

export interface FanOutDeps {
  db: Kysely<Database>
  jobs: Pick<JobEngine, 'send' | 'sendMany'>
  /** The menu a permit type belongs to: readers need View on it. */
  menuOfPermitType: (code: string) => string
}

export interface FanOutResult {
  /** Events handled (news or not). */
  events: number
  /** Organisations that got a notification: their live streams are woken. */
  organisations: Set<string>
}

interface EventRow {
  id: number
  permit_id: string
  organisation_id: string
  sequence: number
  status_from: string | null
  status_to: string | null
  detail: Record<string, unknown>
  occurred_at: Date
  reference_number: string
  client_reference: string
  permit_type: string
  decision_reason: string | null
}

/** The webhook message of a permit event: Standard Webhooks' `{ type, timestamp, data }`. */
export function permitEventPayload(event: EventRow, type: EventType): Record<string, unknown> {
  const licenceNumber = typeof event.detail.licenceNumber === 'string' ? event.detail.licenceNumber : undefined
  return {
    type,
    timestamp: event.occurred_at.toISOString(),
    data: {
      permitId: event.permit_id,
      referenceNumber: event.reference_number,
      clientReference: event.client_reference,
      permitType: event.permit_type,
      status: event.status_to,
      previousStatus: event.status_from,
      sequence: event.sequence,
      ...(event.status_to === 'rejected' && event.decision_reason ? { reason: event.decision_reason } : {}),
      ...(licenceNumber ? { licenceNumber } : {}),
      links: {
        permit: permitUrl(event.permit_id),
        events: permitEventsUrl(event.permit_id),
        ...(event.status_to === 'issued' ? { document: `${permitUrl(event.permit_id)}/document` } : {}),
      },
    },
  }
}

/** One pass: up to `limit` events. Returns what it did; 0 events means nothing waits. */
export async function fanOutPermitEvents(deps: FanOutDeps, limit = 500): Promise<FanOutResult> {
  return deps.db.transaction().execute(async (trx) => {
    const events = (await trx
      .selectFrom('permit_events as e')
      .innerJoin('permits as p', 'p.id', 'e.permit_id')
      .select([
        'e.id',
        'e.permit_id',
        'e.organisation_id',
        'e.sequence',
        'e.status_from',
        'e.status_to',
        'e.detail',
        'e.occurred_at',
        'p.reference_number',
        'p.client_reference',
        'p.permit_type',
        'p.decision_reason',
      ])
      .where('e.fanned_out_at', 'is', null)
      .orderBy('e.id')
      .limit(limit)
      .forUpdate('e')
      .skipLocked()
      .execute()) as unknown as EventRow[]
    if (events.length === 0) return { events: 0, organisations: new Set<string>() }

    const news = events.filter((event) => isNotifiedStatus(event.status_to))
    const organisations = new Set(news.map((event) => event.organisation_id))
    if (news.length > 0) {
      const written = await insertNotifications(trx, notificationsOf(deps, news))
      // Email and SMS by each reader's choice, with the notifications actually written (a repeated pass writes none; channels.ts).
      await queueNotificationMessages(trx, deps.jobs, written)
      await insertDeliveries(trx, deps, news)
    }
    await trx
      .updateTable('permit_events')
      .set({ fanned_out_at: new Date() })
      .where('id', 'in', events.map((event) => String(event.id)))
      .execute()
    return { events: events.length, organisations }
  })
}

function typeOf(event: EventRow): EventType {
  return `permit.${event.status_to}` as EventType
}

/** The notification of each status change. */
function notificationsOf(deps: FanOutDeps, news: EventRow[]): NewNotification[] {
  return news.map((event) => ({
    organisationId: event.organisation_id,
    menuCode: deps.menuOfPermitType(event.permit_type),
    type: typeOf(event),
    subjectType: 'permit',
    subjectId: event.permit_id,
    source: `permit_event:${event.id}`,
    ...permitTexts(event.status_to as Parameters<typeof permitTexts>[0], { ref: event.reference_number, reason: event.decision_reason }),
    data: (permitEventPayload(event, typeOf(event)) as { data: Record<string, unknown> }).data,
    occurredAt: event.occurred_at,
  }))
}

/**
 * One delivery per subscribed, enabled endpoint, and one job per endpoint and permit: the job
 * delivers that permit's pending messages in sequence order (webhooks/delivery.ts), so a
 * receiver sees a permit's steps in order even after being down for a day.
 */
async function insertDeliveries(trx: Transaction<Database>, deps: FanOutDeps, news: EventRow[]): Promise<void> {
  const hooks = await trx
    .selectFrom('webhooks')
    .select(['id', 'organisation_id', 'event_types'])
    .where('enabled', '=', true)
    .where('organisation_id', 'in', [...new Set(news.map((event) => event.organisation_id))])
    .execute()
  if (hooks.length === 0) return
  const rows = news.flatMap((event) => {
    const type = typeOf(event)
    const subscribed = hooks.filter((hook) => hook.organisation_id === event.organisation_id && hook.event_types.includes(type))
    // One message, built once, for every endpoint subscribed to it.
    const payload = subscribed.length > 0 ? JSON.stringify(permitEventPayload(event, type)) : ''
    return subscribed.map((hook) => ({
      webhook_id: hook.id,
      organisation_id: event.organisation_id,
      event_type: type,
      subject_id: event.permit_id,
      sequence: event.sequence,
      payload,
      source: `permit_event:${event.id}`,
    }))
  })
  if (rows.length === 0) return
  const inserted = await trx
    .insertInto('webhook_deliveries')
    .values(rows)
    .onConflict((oc) => oc.columns(['webhook_id', 'source']).doNothing())
    .returning(['webhook_id', 'subject_id'])
    .execute()
  const pairs = new Map(inserted.map((row) => [`${row.webhook_id}:${row.subject_id}`, row]))
  await deps.jobs.sendMany(
    trx,
    WEBHOOK_DELIVER_QUEUE,
    [...pairs].map(([key, row]) => ({ data: { webhookId: row.webhook_id, subjectId: row.subject_id }, options: { singletonKey: `webhook:${key}` } })),
  )
}
