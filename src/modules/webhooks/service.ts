/**
 * An organisation's webhook endpoints and their delivery log. Authorization first (membership,
 * then the API Catalogue right: View to read, Create, Edit, Delete); another organisation's
 * endpoint is 404. The secret is returned once, at creation and at each rotation.
 */
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { WebhookDeliveryState } from '../../db/tables/notifications.ts'
import { AppError, type FieldError } from '../../errors/app-error.ts'
import { decodeCursor, nextLink, toPage } from '../../http/pagination.ts'
import type { JobEngine } from '../../jobs/types.ts'
import type { Principal } from '../../plugins/auth.ts'
import { recordAudit } from '../audit/repository.ts'
import { actorOf } from '../audit/service.ts'
import { notFound, requireOrgRight } from '../orgs/authorize.ts'
import { checkLiteralHost, type AddressPolicy } from './address-guard.ts'
import { ping, WEBHOOK_DELIVER_QUEUE, type DeliveryDeps } from './delivery.ts'
import * as repo from './repository.ts'
import type { CreateWebhook, DeliveryQuery, RotateWebhookSecret, UpdateWebhook, Webhook, WebhookDelivery, WebhookQuery, WebhookWithSecret } from './schemas.ts'
import { generateWebhookSecret } from './secrets.ts'

type Db = Kysely<Database>

export interface WebhookServiceDeps extends Pick<DeliveryDeps, 'db' | 'secrets' | 'sender' | 'now'> {
  jobs: Pick<JobEngine, 'send' | 'wake'>
  /** Sandbox mode: http URLs and loopback receivers are allowed. */
  sandbox: boolean
  policy: AddressPolicy
  rotationOverlapSeconds: number
}

function toWebhook(row: repo.WebhookRow, now: Date): Webhook {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    url: row.url,
    description: row.description,
    eventTypes: row.event_types,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    failingSince: row.failing_since?.toISOString() ?? null,
    previousSecretExpiresAt: row.previous_secret_ciphertext && row.previous_secret_expires_at && row.previous_secret_expires_at > now ? row.previous_secret_expires_at.toISOString() : null,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

/** What the audit log keeps: never the secret. */
function audited(hook: Webhook) {
  return { url: hook.url, description: hook.description, eventTypes: hook.eventTypes, enabled: hook.enabled }
}

function invalidUrl(detail: string, reason: string): AppError {
  const error: FieldError = { pointer: '/url', in: 'body', detail, reason }
  return new AppError('VALIDATION_FAILED', { detail: { en: `The URL is not allowed: ${detail}.`, id: `URL tidak diizinkan: ${detail}.` }, errors: [error] })
}

/** The URL rules that hold before any lookup; names are checked again each time they are resolved. */
export function checkWebhookUrl(raw: string, options: { sandbox: boolean; policy: AddressPolicy }): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw invalidUrl('not an absolute URL', 'format')
  }
  const schemes = options.sandbox ? ['https:', 'http:'] : ['https:']
  if (!schemes.includes(url.protocol)) throw invalidUrl(options.sandbox ? 'use https or http' : 'use https', 'scheme')
  if (url.username || url.password) throw invalidUrl('no credentials in the URL (put a token in the path or query, or verify the signature)', 'credentials')
  const refused = checkLiteralHost(url.hostname, options.policy)
  if (refused) throw invalidUrl(refused.message, 'refused_address')
  if (url.hash) throw invalidUrl('no fragment', 'fragment')
  return url.toString()
}

async function orgWebhook(db: Db, orgId: string, webhookId: string): Promise<repo.WebhookRow> {
  const row = await repo.findOrgWebhook(db, orgId, webhookId)
  if (!row) throw notFound()
  return row
}

export async function listWebhooks(deps: WebhookServiceDeps, principal: Principal, orgId: string, query: WebhookQuery, requestUrl: string) {
  await requireOrgRight(deps.db, principal, orgId, 'API_CATALOGUE', 'view')
  const limit = query.limit ?? 20
  const rows = await repo.listOrgWebhooks(deps.db, { organisationId: orgId, cursor: decodeCursor(query.cursor), limit })
  const now = deps.now()
  return toPage(rows, limit, (row) => ({ at: row.position_at, id: row.id }), (row) => toWebhook(row, now), (cursor) => nextLink(requestUrl, cursor))
}

export async function getWebhook(deps: WebhookServiceDeps, principal: Principal, orgId: string, webhookId: string): Promise<Webhook> {
  await requireOrgRight(deps.db, principal, orgId, 'API_CATALOGUE', 'view')
  return toWebhook(await orgWebhook(deps.db, orgId, webhookId), deps.now())
}

export async function createWebhook(deps: WebhookServiceDeps, principal: Principal, orgId: string, body: CreateWebhook, requestId: string): Promise<WebhookWithSecret> {
  const caller = await requireOrgRight(deps.db, principal, orgId, 'API_CATALOGUE', 'create')
  const url = checkWebhookUrl(body.url, deps)
  const secret = generateWebhookSecret()
  const id = randomUUID()
  return deps.db.transaction().execute(async (trx) => {
    const row = await repo.insertWebhook(trx, {
      id,
      organisationId: orgId,
      url,
      description: body.description ?? null,
      eventTypes: [...body.eventTypes],
      secretCiphertext: deps.secrets.seal(secret, id),
      createdBy: caller.id,
    })
    const webhook = toWebhook(row, deps.now())
    await recordAudit(trx, { organisationId: orgId, actor: actorOf(caller), action: 'webhook.created', targetType: 'webhook', targetId: id, after: audited(webhook), requestId })
    return { webhook, secret }
  })
}

export async function updateWebhook(deps: WebhookServiceDeps, principal: Principal, orgId: string, webhookId: string, body: UpdateWebhook, requestId: string): Promise<Webhook> {
  const caller = await requireOrgRight(deps.db, principal, orgId, 'API_CATALOGUE', 'edit')
  const before = await orgWebhook(deps.db, orgId, webhookId)
  const changes: Parameters<typeof repo.updateWebhook>[2] = {}
  if (body.url !== undefined) changes.url = checkWebhookUrl(body.url, deps)
  if (body.description !== undefined) changes.description = body.description
  if (body.eventTypes !== undefined) changes.event_types = [...body.eventTypes]
  const enabling = body.enabled === true && !before.enabled
  if (body.enabled !== undefined) changes.enabled = body.enabled
  // A fresh start: the failing period and the reason belong to the run that disabled it.
  if (enabling || changes.url) Object.assign(changes, { failing_since: null, disabled_reason: null })
  const updated = await deps.db.transaction().execute(async (trx) => {
    const row = await repo.updateWebhook(trx, webhookId, changes)
    // The messages that waited while it was disabled go out now, each permit's in order.
    if (enabling) {
      for (const subjectId of await repo.pendingSubjects(trx, webhookId)) {
        await deps.jobs.send(trx, WEBHOOK_DELIVER_QUEUE, { webhookId, subjectId }, { singletonKey: `webhook:${webhookId}:${subjectId}` })
      }
    }
    const now = deps.now()
    const after = toWebhook(row, now)
    await recordAudit(trx, { organisationId: orgId, actor: actorOf(caller), action: 'webhook.updated', targetType: 'webhook', targetId: webhookId, before: audited(toWebhook(before, now)), after: audited(after), requestId })
    return after
  })
  if (enabling) deps.jobs.wake(WEBHOOK_DELIVER_QUEUE)
  return updated
}

export async function rotateWebhookSecret(deps: WebhookServiceDeps, principal: Principal, orgId: string, webhookId: string, body: RotateWebhookSecret, requestId: string): Promise<WebhookWithSecret> {
  const caller = await requireOrgRight(deps.db, principal, orgId, 'API_CATALOGUE', 'edit')
  await orgWebhook(deps.db, orgId, webhookId)
  const secret = generateWebhookSecret()
  const overlapSeconds = body.overlapSeconds ?? deps.rotationOverlapSeconds
  const now = deps.now()
  return deps.db.transaction().execute(async (trx) => {
    const row = await repo.rotateWebhookSecret(trx, webhookId, deps.secrets.seal(secret, webhookId), new Date(now.getTime() + overlapSeconds * 1000))
    const webhook = toWebhook(row, now)
    await recordAudit(trx, {
      organisationId: orgId,
      actor: actorOf(caller),
      action: 'webhook.secret_rotated',
      targetType: 'webhook',
      targetId: webhookId,
      after: { previousSecretExpiresAt: webhook.previousSecretExpiresAt },
      requestId,
    })
    return { webhook, secret }
  })
}

export async function deleteWebhook(deps: WebhookServiceDeps, principal: Principal, orgId: string, webhookId: string, requestId: string): Promise<void> {
  const caller = await requireOrgRight(deps.db, principal, orgId, 'API_CATALOGUE', 'delete')
  const before = await orgWebhook(deps.db, orgId, webhookId)
  await deps.db.transaction().execute(async (trx) => {
    // Its deliveries and their log go with it (on delete cascade); a job still queued finds nothing.
    await repo.deleteWebhook(trx, webhookId)
    await recordAudit(trx, { organisationId: orgId, actor: actorOf(caller), action: 'webhook.deleted', targetType: 'webhook', targetId: webhookId, before: audited(toWebhook(before, deps.now())), requestId })
  })
}

function toDelivery(row: Omit<repo.DeliveryRow, 'position_at'>): WebhookDelivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventType: row.event_type,
    subjectId: row.subject_id,
    sequence: row.sequence,
    state: row.state,
    attempts: row.attempts,
    lastAttemptAt: row.last_attempt_at?.toISOString() ?? null,
    lastStatusCode: row.last_status_code,
    deliveredAt: row.delivered_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  }
}

export async function listDeliveries(deps: WebhookServiceDeps, principal: Principal, orgId: string, webhookId: string, query: DeliveryQuery, requestUrl: string) {
  await requireOrgRight(deps.db, principal, orgId, 'API_CATALOGUE', 'view')
  await orgWebhook(deps.db, orgId, webhookId)
  const limit = query.limit ?? 20
  const rows = await repo.listDeliveries(deps.db, { webhookId, state: query.state as WebhookDeliveryState | undefined, cursor: decodeCursor(query.cursor), limit })
  return toPage(rows, limit, (row) => ({ at: row.position_at, id: row.id }), toDelivery, (cursor) => nextLink(requestUrl, cursor))
}

export async function getDelivery(deps: WebhookServiceDeps, principal: Principal, orgId: string, webhookId: string, deliveryId: string) {
  await requireOrgRight(deps.db, principal, orgId, 'API_CATALOGUE', 'view')
  await orgWebhook(deps.db, orgId, webhookId)
  const row = await repo.findDelivery(deps.db, webhookId, deliveryId)
  if (!row) throw notFound()
  const attempts = await repo.listAttempts(deps.db, deliveryId)
  return {
    ...toDelivery(row),
    payload: row.payload,
    attemptLog: attempts.map((attempt) => ({
      attemptedAt: attempt.attempted_at.toISOString(),
      statusCode: attempt.status_code,
      latencyMs: attempt.latency_ms,
      outcome: attempt.outcome,
      error: attempt.error,
      responseExcerpt: attempt.response_excerpt,
    })),
  }
}

/**
 * Redelivery puts the same message back in its permit's queue: the same id (`webhook-id`, so a
 * receiver that did get it can drop the repeat), payload and sequence. The delivery job sends a
 * pair's waiting messages in sequence order, so a redelivered message never overtakes an earlier
 * step still waiting, and the steps waiting after it stay behind it. A message already waiting
 * is 409: it goes out anyway.
 */
export async function redeliver(deps: WebhookServiceDeps, principal: Principal, orgId: string, webhookId: string, deliveryId: string, requestId: string) {
  const caller = await requireOrgRight(deps.db, principal, orgId, 'API_CATALOGUE', 'edit')
  const hook = await orgWebhook(deps.db, orgId, webhookId)
  const row = await repo.findDelivery(deps.db, webhookId, deliveryId)
  if (!row) throw notFound()
  await deps.db.transaction().execute(async (trx) => {
    if (!(await repo.requeueDelivery(trx, deliveryId))) {
      throw new AppError('CONFLICT', { detail: { en: 'The message is already waiting to be delivered.', id: 'Pesan ini sudah menunggu untuk dikirim.' } })
    }
    await deps.jobs.send(trx, WEBHOOK_DELIVER_QUEUE, { webhookId, subjectId: row.subject_id }, { singletonKey: `webhook:${webhookId}:${row.subject_id}` })
    await recordAudit(trx, { organisationId: orgId, actor: actorOf(caller), action: 'webhook.redelivered', targetType: 'webhook_delivery', targetId: deliveryId, after: { webhookId, enabled: hook.enabled }, requestId })
  })
  deps.jobs.wake(WEBHOOK_DELIVER_QUEUE)
  return getDelivery(deps, principal, orgId, webhookId, deliveryId)
}

export async function pingWebhook(deps: WebhookServiceDeps, principal: Principal, orgId: string, webhookId: string) {
  await requireOrgRight(deps.db, principal, orgId, 'API_CATALOGUE', 'edit')
  const hook = await orgWebhook(deps.db, orgId, webhookId)
  const result = await ping(deps, hook)
  return { ...result, attemptedAt: result.attemptedAt.toISOString() }
}
