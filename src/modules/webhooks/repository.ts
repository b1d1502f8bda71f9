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

/**
 * The endpoints of a batch and every pair's waiting messages, read behind a lock on the endpoint
 * rows. Why: a fan-out inserting a message holds a key-share lock on its endpoint's row (the
 * foreign key) until it commits, and its job is dropped when the pair already has one waiting
 * (the queue is stately). Were that waiting job to start and read before the fan-out committed,
 * the new message would be left without a job; `for update` waits for the commit, so the read
 * sees it.
 */
export async function lockedPendingWork(db: Kysely<Database>, pairs: { webhookId: string; subjectId: string }[]) {
  const webhookIds = [...new Set(pairs.map((pair) => pair.webhookId))].sort()
  if (webhookIds.length === 0) return { hooks: [], waiting: new Map<string, WaitingDelivery[]>() }
  return db.transaction().execute(async (trx) => {
    const hooks = await trx.selectFrom('webhooks').select(COLUMNS).where('id', 'in', webhookIds).orderBy('id').forUpdate().execute()
    const enabled = new Set(hooks.filter((hook) => hook.enabled).map((hook) => hook.id))
    const waiting = await pendingDeliveriesOfPairs(trx, pairs.filter((pair) => enabled.has(pair.webhookId)))
    return { hooks, waiting }
  })
}

export function pairKey(pair: { webhookId: string; subjectId: string }): string {
  return `${pair.webhookId}:${pair.subjectId}`
}

export interface WaitingDelivery {
  id: string
  /** The payload as stored, sent as it is (and signed as it is). */
  body: string
}

/** Each pair's waiting messages, in the order the receiver must see them: one query for a batch of pairs. */
export async function pendingDeliveriesOfPairs(db: Db, pairs: { webhookId: string; subjectId: string }[]): Promise<Map<string, WaitingDelivery[]>> {
  const waiting = new Map<string, WaitingDelivery[]>()
  if (pairs.length === 0) return waiting
  const { rows } = await sql<{ id: string; webhook_id: string; subject_id: string; body: string }>`
    select d.id, d.webhook_id, d.subject_id, d.payload::text as body
    from jsonb_to_recordset(${JSON.stringify(pairs)}::jsonb) as p("webhookId" uuid, "subjectId" text)
    join webhook_deliveries d on d.webhook_id = p."webhookId" and d.subject_id = p."subjectId" and d.state = 'pending'
    order by d.webhook_id, d.subject_id, d.sequence, d.created_at, d.id`.execute(db)
  for (const row of rows) {
    const key = pairKey({ webhookId: row.webhook_id, subjectId: row.subject_id })
    const list = waiting.get(key)
    if (list) list.push({ id: row.id, body: row.body })
    else waiting.set(key, [{ id: row.id, body: row.body }])
  }
  return waiting
}

export interface AttemptRecord {
  deliveryId: string
  attemptedAt: Date
  statusCode: number | null
  latencyMs: number
  outcome: 'delivered' | 'failed'
  error: string | null
  responseExcerpt: string | null
  /** The delivery's state after the attempt. */
  state: WebhookDeliveryState
}

/** Attempts in the log and their deliveries' counters, together: one statement for any number. */
export async function recordAttempts(db: Db, attempts: AttemptRecord[]): Promise<void> {
  if (attempts.length === 0) return
  const rows = attempts.map((attempt) => ({
    delivery_id: attempt.deliveryId,
    attempted_at: attempt.attemptedAt.toISOString(),
    status_code: attempt.statusCode,
    latency_ms: attempt.latencyMs,
    outcome: attempt.outcome,
    error: attempt.error,
    response_excerpt: attempt.responseExcerpt,
    state: attempt.state,
  }))
  await sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as x(delivery_id uuid, attempted_at timestamptz, status_code integer, latency_ms integer, outcome text, error text, response_excerpt text, state text)
    ), logged as (
      insert into webhook_delivery_attempts (delivery_id, attempted_at, status_code, latency_ms, outcome, error, response_excerpt)
      select delivery_id, attempted_at, status_code, latency_ms, outcome, error, response_excerpt from input
    )
    update webhook_deliveries d
    set attempts = d.attempts + 1, last_attempt_at = i.attempted_at, state = i.state,
        delivered_at = case when i.outcome = 'delivered' then i.attempted_at else d.delivered_at end
    from input i
    where d.id = i.delivery_id`.execute(db)
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
