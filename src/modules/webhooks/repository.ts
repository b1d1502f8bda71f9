/** SQL for webhooks, their deliveries and the attempt log. Every endpoint query filters by organisation. */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { WebhookDeliveryState } from '../../db/tables/notifications.ts'
import type { Cursor } from '../../http/pagination.ts'
import { afterCursor, keysetPosition } from '../../db/keyset.ts'

type Db = Kysely<Database> | Transaction<Database>

const COLUMNS = [
  'id',
  'organisation_id',
  'url',
  'description',
  'event_types',
  'enabled',
  'secret_ciphertext',
  'previous_secret_ciphertext',
  'previous_secret_expires_at',
  'failing_since',
  'disabled_reason',
  'created_by',
  'created_at',
  'updated_at',
] as const

export function findWebhook(db: Db, webhookId: string) {
  return db.selectFrom('webhooks').select(COLUMNS).where('id', '=', webhookId).executeTakeFirst()
}

export function findOrgWebhook(db: Db, organisationId: string, webhookId: string) {
  return db.selectFrom('webhooks').select(COLUMNS).where('organisation_id', '=', organisationId).where('id', '=', webhookId).executeTakeFirst()
}

export type WebhookRow = NonNullable<Awaited<ReturnType<typeof findWebhook>>>

export function listOrgWebhooks(db: Db, filter: { organisationId: string; cursor?: Cursor; limit: number }) {
  let query = db.selectFrom('webhooks').select(COLUMNS).select(keysetPosition('created_at').as('position_at')).where('organisation_id', '=', filter.organisationId)
  if (filter.cursor) query = query.where(afterCursor('created_at', 'id', filter.cursor))
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute()
}

export function insertWebhook(
  db: Db,
  hook: { id: string; organisationId: string; url: string; description: string | null; eventTypes: string[]; secretCiphertext: string; createdBy: string },
) {
  return db
    .insertInto('webhooks')
    .values({
      id: hook.id,
      organisation_id: hook.organisationId,
      url: hook.url,
      description: hook.description,
      event_types: hook.eventTypes,
      secret_ciphertext: hook.secretCiphertext,
      created_by: hook.createdBy,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow()
}

export function updateWebhook(
  db: Db,
  webhookId: string,
  changes: Partial<{ url: string; description: string | null; event_types: string[]; enabled: boolean; failing_since: null; disabled_reason: null }>,
) {
  return db
    .updateTable('webhooks')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', webhookId)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow()
}

/** The new secret becomes current; the current one keeps signing until `previousExpiresAt`. */
export function rotateWebhookSecret(db: Db, webhookId: string, secretCiphertext: string, previousExpiresAt: Date) {
  return db
    .updateTable('webhooks')
    .set((eb) => ({
      previous_secret_ciphertext: eb.ref('secret_ciphertext'),
      previous_secret_expires_at: previousExpiresAt,
      secret_ciphertext: secretCiphertext,
      updated_at: new Date(),
    }))
    .where('id', '=', webhookId)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow()
}

export function deleteWebhook(db: Db, webhookId: string) {
  return db.deleteFrom('webhooks').where('id', '=', webhookId).execute()
}

/** The endpoint's permits (subjects) with deliveries still waiting: one delivery job each. */
export async function pendingSubjects(db: Db, webhookId: string): Promise<string[]> {
  const rows = await db.selectFrom('webhook_deliveries').select('subject_id').distinct().where('webhook_id', '=', webhookId).where('state', '=', 'pending').execute()
  return rows.map((row) => row.subject_id)
}

/** A pair's waiting messages, in the order the receiver must see them. */
export function pendingDeliveries(db: Db, webhookId: string, subjectId: string) {
  return db
    .selectFrom('webhook_deliveries')
    .select(['id', 'event_type', 'sequence', 'payload'])
    .where('webhook_id', '=', webhookId)
    .where('subject_id', '=', subjectId)
    .where('state', '=', 'pending')
    .orderBy('sequence')
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}

/** One attempt in the log and its delivery's counters, together. */
export async function recordAttempt(
  trx: Transaction<Database>,
  deliveryId: string,
  attempt: { attemptedAt: Date; statusCode: number | null; latencyMs: number; outcome: 'delivered' | 'failed'; error: string | null; responseExcerpt: string | null },
  state: WebhookDeliveryState,
): Promise<void> {
  await trx
    .insertInto('webhook_delivery_attempts')
    .values({
      delivery_id: deliveryId,
      attempted_at: attempt.attemptedAt,
      status_code: attempt.statusCode,
      latency_ms: attempt.latencyMs,
      outcome: attempt.outcome,
      error: attempt.error,
      response_excerpt: attempt.responseExcerpt,
    })
    .execute()
  await trx
    .updateTable('webhook_deliveries')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      last_attempt_at: attempt.attemptedAt,
      state,
      ...(attempt.outcome === 'delivered' ? { delivered_at: attempt.attemptedAt } : {}),
    }))
    .where('id', '=', deliveryId)
    .execute()
}

const LAST_STATUS = sql<number | null>`(select a.status_code from webhook_delivery_attempts a where a.delivery_id = d.id order by a.id desc limit 1)`

const DELIVERY_COLUMNS = ['d.id', 'd.webhook_id', 'd.event_type', 'd.subject_id', 'd.sequence', 'd.state', 'd.attempts', 'd.last_attempt_at', 'd.delivered_at', 'd.created_at'] as const

export function listDeliveries(db: Db, filter: { webhookId: string; state?: WebhookDeliveryState; cursor?: Cursor; limit: number }) {
  let query = db
    .selectFrom('webhook_deliveries as d')
    .select(DELIVERY_COLUMNS)
    .select(LAST_STATUS.as('last_status_code'))
    .select(keysetPosition('d.created_at').as('position_at'))
    .where('d.webhook_id', '=', filter.webhookId)
  if (filter.state) query = query.where('d.state', '=', filter.state)
  if (filter.cursor) query = query.where(afterCursor('d.created_at', 'd.id', filter.cursor))
  return query.orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(filter.limit + 1).execute()
}

export type DeliveryRow = Awaited<ReturnType<typeof listDeliveries>>[number]

export function findDelivery(db: Db, webhookId: string, deliveryId: string) {
  return db
    .selectFrom('webhook_deliveries as d')
    .select(DELIVERY_COLUMNS)
    .select(['d.payload'])
    .select(LAST_STATUS.as('last_status_code'))
    .where('d.webhook_id', '=', webhookId)
    .where('d.id', '=', deliveryId)
    .executeTakeFirst()
}

export function listAttempts(db: Db, deliveryId: string) {
  return db
    .selectFrom('webhook_delivery_attempts')
    .select(['attempted_at', 'status_code', 'latency_ms', 'outcome', 'error', 'response_excerpt'])
    .where('delivery_id', '=', deliveryId)
    .orderBy('id')
    .execute()
}

/** Back to waiting (a redelivery): the same message, the same id. False when it was already waiting. */
export async function requeueDelivery(db: Db, deliveryId: string): Promise<boolean> {
  const result = await db.updateTable('webhook_deliveries').set({ state: 'pending' }).where('id', '=', deliveryId).where('state', '!=', 'pending').executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** The pair's waiting messages become failed: the job gave up (its last attempt failed). */
export function failPending(db: Db, webhookId: string, subjectId: string) {
  return db.updateTable('webhook_deliveries').set({ state: 'failed' }).where('webhook_id', '=', webhookId).where('subject_id', '=', subjectId).where('state', '=', 'pending').execute()
}

/** An operator's retry of a dead-lettered delivery job: its failed messages wait again. */
export function unfailPair(db: Db, webhookId: string, subjectId: string) {
  return db.updateTable('webhook_deliveries').set({ state: 'pending' }).where('webhook_id', '=', webhookId).where('subject_id', '=', subjectId).where('state', '=', 'failed').execute()
}
