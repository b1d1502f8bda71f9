/**
 * The `webhook.deliver` job: one endpoint's waiting messages about one permit, in sequence order,
 * one POST each. The queue is stately (one job at a time per endpoint and permit) and this loop
 * stops at the first failure, so a later step never overtakes an earlier one: after an outage the
 * receiver gets every step, in order. A failure is logged, starts the endpoint's failing period
 * and throws, so pg-boss retries with backoff (about three days). An endpoint failing longer than
 * WEBHOOK_DISABLE_AFTER_MS is disabled and its organisation notified; its messages keep waiting
 * and go out once it is enabled again. When the job's last attempt fails, the pair's waiting
 * messages are marked failed (an operator's retry of the dead-lettered job, or a redelivery,
 * brings them back).
 */
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { QUEUES } from '../../jobs/queues.ts'
import type { JobContext, JobEngine } from '../../jobs/types.ts'
import { insertNotification } from '../notifications/repository.ts'
import * as repo from './repository.ts'
import type { SecretBox } from './secrets.ts'
import type { AttemptResult, WebhookSender } from './sender.ts'
import { webhookDisabledTexts } from './texts.ts'

export const WEBHOOK_DELIVER_QUEUE = QUEUES.webhookDeliver.name

export interface DeliverJobData {
  webhookId: string
  subjectId: string
}

export interface DeliveryDeps {
  db: Kysely<Database>
  /** `wake` after a commit that queued jobs: the queue does not NOTIFY (queues.ts). */
  jobs: Pick<JobEngine, 'send' | 'wake'>
  secrets: SecretBox
  sender: WebhookSender
  disableAfterMs: number
  /** The clock (tests move it). */
  now: () => Date
  log: { warn(obj: Record<string, unknown>, msg: string): void }
}

/** One job runs at most this long; the rest of the pair's messages go to a follow-up job (the job's lease is 120 s). */
const RUN_BUDGET_MS = 60_000

export class DeliveryFailed extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DeliveryFailed'
  }
}

/** The secrets that sign now: the current one, and the previous one during a rotation's overlap. */
export function signingSecrets(deps: Pick<DeliveryDeps, 'secrets'>, hook: repo.WebhookRow, now: Date): string[] {
  const secrets = [deps.secrets.open(hook.secret_ciphertext, hook.id)]
  if (hook.previous_secret_ciphertext && hook.previous_secret_expires_at && hook.previous_secret_expires_at > now) {
    secrets.push(deps.secrets.open(hook.previous_secret_ciphertext, hook.id))
  }
  return secrets
}

/** Pairs of a batch delivered side by side (each pair's own messages go one at a time, in order). */
const PAIRS_IN_FLIGHT = 16

/** One endpoint and permit's waiting messages, delivered in order (a batch of one). */
export async function deliverPending(deps: DeliveryDeps, data: DeliverJobData, job: Pick<JobContext, 'isLastAttempt'>): Promise<void> {
  const [outcome] = await deliverBatch(deps, [{ data, job }])
  if (outcome !== undefined) throw outcome
}

/**
 * A batch of `webhook.deliver` jobs (each one endpoint and permit; the queue is stately, so a
 * pair is never twice in a batch): the endpoints and every pair's waiting messages are read
 * together, behind a lock (repository.ts lockedPendingWork says why); the pairs are delivered
 * side by side and every attempt is recorded in one statement. A pair stops at its first failure,
 * which is its job's outcome (an Error: pg-boss retries it). Attempts are recorded when the batch
 * is done: a gateway killed meanwhile sends the batch's messages again (at least once, under the
 * same webhook-id).
 */
export async function deliverBatch(deps: DeliveryDeps, jobs: { data: DeliverJobData; job: Pick<JobContext, 'isLastAttempt'> }[]): Promise<(Error | undefined)[]> {
  const started = Date.now()
  // An endpoint deleted (its deliveries went with it) or disabled (they wait for it to be enabled again) has nothing to do.
  const work = await repo.lockedPendingWork(deps.db, jobs.map(({ data }) => data))
  const hooks = new Map(work.hooks.map((hook) => [hook.id, hook]))
  const waiting = work.waiting
  /** Every attempt of the batch, with its endpoint: what is recorded, and which endpoints recovered. */
  const attempts: (repo.AttemptRecord & { webhookId: string })[] = []
  const failures: { index: number; hook: repo.WebhookRow; result: AttemptResult; at: Date }[] = []
  const opened = new Map<string, string[]>()
  let next = 0
  const deliverPair = async (index: number) => {
    const { data } = jobs[index]!
    const hook = hooks.get(data.webhookId)
    if (!hook?.enabled) return
    // Opened once per endpoint and batch, not per message (AES-GCM each time).
    let secrets = opened.get(hook.id)
    if (!secrets) opened.set(hook.id, (secrets = signingSecrets(deps, hook, deps.now())))
    for (const delivery of waiting.get(repo.pairKey(data)) ?? []) {
      if (Date.now() - started > RUN_BUDGET_MS) {
        await deps.jobs.send(deps.db, WEBHOOK_DELIVER_QUEUE, data, { singletonKey: `webhook:${hook.id}:${data.subjectId}` })
        deps.jobs.wake(WEBHOOK_DELIVER_QUEUE)
        return
      }
      const at = deps.now()
      const result = await deps.sender.send(hook.url, { id: delivery.id, body: delivery.body, secrets })
      attempts.push({ webhookId: hook.id, deliveryId: delivery.id, attemptedAt: at, ...result, state: result.outcome === 'delivered' ? 'delivered' : 'pending' })
      if (result.outcome !== 'delivered') {
        failures.push({ index, hook, result, at })
        return
      }
    }
  }
  await Promise.all(
    Array.from({ length: Math.min(PAIRS_IN_FLIGHT, jobs.length) }, async () => {
      while (next < jobs.length) await deliverPair(next++)
    }),
  )
  await repo.recordAttempts(deps.db, attempts)
  // An endpoint tried in this batch that failed nowhere took a message (a pair stops at its first
  // failure): its failing period, if any, is over.
  const recovered = [...new Set(attempts.map((attempt) => attempt.webhookId))].filter((id) => hooks.get(id)!.failing_since && !failures.some((failure) => failure.hook.id === id))
  if (recovered.length > 0) await deps.db.updateTable('webhooks').set({ failing_since: null }).where('id', 'in', recovered).execute()
  const outcomes: (Error | undefined)[] = jobs.map(() => undefined)
  for (const failure of failures) {
    outcomes[failure.index] = await failed(deps, failure.hook, jobs[failure.index]!.data, failure.result, failure.at, jobs[failure.index]!.job).then(
      () => undefined,
      (error: Error) => error,
    )
  }
  return outcomes
}

async function failed(deps: DeliveryDeps, hook: repo.WebhookRow, data: DeliverJobData, result: AttemptResult, now: Date, job: Pick<JobContext, 'isLastAttempt'>): Promise<void> {
  const row = await deps.db
    .updateTable('webhooks')
    .set((eb) => ({ failing_since: eb.fn.coalesce('failing_since', eb.val(now)) }))
    .where('id', '=', hook.id)
    .returning(['failing_since'])
    .executeTakeFirst()
  const failingSince = row?.failing_since ?? now
  if (now.getTime() - failingSince.getTime() >= deps.disableAfterMs) {
    await disableEndpoint(deps, hook, failingSince, now)
    // Its messages wait for the endpoint to be enabled again: nothing more to try now.
    return
  }
  if (job.isLastAttempt) await repo.failPending(deps.db, hook.id, data.subjectId)
  // No URL in the log line: it may carry a receiver's token in its path or query.
  deps.log.warn({ webhookId: hook.id, subjectId: data.subjectId, statusCode: result.statusCode, error: result.error }, 'webhook delivery failed; retrying later')
  throw new DeliveryFailed(result.error ?? 'delivery failed')
}

/**
 * Disables the endpoint and tells the organisation, once (the update only matches an enabled
 * endpoint; the notification's source is unique): a notification for the API Catalogue's readers
 * and, for the organisation's other endpoints subscribed to `webhook.disabled`, a message.
 */
export async function disableEndpoint(deps: Pick<DeliveryDeps, 'db' | 'jobs'>, hook: repo.WebhookRow, failingSince: Date, now: Date): Promise<boolean> {
  const hours = Math.round((now.getTime() - failingSince.getTime()) / 3_600_000)
  const reason = `Every delivery attempt failed for ${hours} h (since ${failingSince.toISOString()}).`
  const told = await deps.db.transaction().execute(async (trx) => {
    const disabled = await trx
      .updateTable('webhooks')
      .set({ enabled: false, disabled_reason: reason, updated_at: now })
      .where('id', '=', hook.id)
      .where('enabled', '=', true)
      .returning('id')
      .executeTakeFirst()
    if (!disabled) return false
    const source = `webhook_disabled:${hook.id}:${now.toISOString()}`
    const payload = {
      type: 'webhook.disabled',
      timestamp: now.toISOString(),
      data: { webhookId: hook.id, url: hook.url, reason, failingSince: failingSince.toISOString(), disabledAt: now.toISOString() },
    }
    await insertNotification(trx, {
      organisationId: hook.organisation_id,
      menuCode: 'API_CATALOGUE',
      type: 'webhook.disabled',
      subjectType: 'webhook',
      subjectId: hook.id,
      source,
      ...webhookDisabledTexts({ url: hook.url, hours }),
      data: payload.data,
      occurredAt: now,
    })
    const others = await trx
      .selectFrom('webhooks')
      .select('id')
      .where('organisation_id', '=', hook.organisation_id)
      .where('enabled', '=', true)
      .where('id', '!=', hook.id)
      .where(({ eb, val }) => eb(val('webhook.disabled'), '=', eb.fn.any('event_types')))
      .execute()
    for (const other of others) {
      await trx
        .insertInto('webhook_deliveries')
        .values({ webhook_id: other.id, organisation_id: hook.organisation_id, event_type: 'webhook.disabled', subject_id: hook.id, sequence: 1, payload: JSON.stringify(payload), source })
        .onConflict((oc) => oc.columns(['webhook_id', 'source']).doNothing())
        .execute()
      await deps.jobs.send(trx, WEBHOOK_DELIVER_QUEUE, { webhookId: other.id, subjectId: hook.id }, { singletonKey: `webhook:${other.id}:${hook.id}` })
    }
    return true
  })
  if (told) deps.jobs.wake(WEBHOOK_DELIVER_QUEUE)
  return told
}

/**
 * A `webhook.ping` test message, sent now and answered with the attempt. It is logged as a
 * delivery of its own (so it shows in the log, and can be redelivered) but leaves the endpoint's
 * failing period alone: a test says nothing about the real traffic.
 */
export async function ping(deps: Pick<DeliveryDeps, 'db' | 'secrets' | 'sender' | 'now'>, hook: repo.WebhookRow) {
  const now = deps.now()
  const payload = { type: 'webhook.ping', timestamp: now.toISOString(), data: { webhookId: hook.id, organisationId: hook.organisation_id } }
  const delivery = await deps.db
    .insertInto('webhook_deliveries')
    .values({
      webhook_id: hook.id,
      organisation_id: hook.organisation_id,
      event_type: 'webhook.ping',
      subject_id: hook.id,
      sequence: 0,
      payload: JSON.stringify(payload),
      source: `ping:${randomUUID()}`,
      // Not `pending`: no job may pick it up while it is being sent here.
      state: 'failed',
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const result = await deps.sender.send(hook.url, { id: delivery.id, body: JSON.stringify(payload), secrets: signingSecrets(deps, hook, now) })
  await repo.recordAttempts(deps.db, [{ deliveryId: delivery.id, attemptedAt: now, ...result, state: result.outcome }])
  return { deliveryId: delivery.id, attemptedAt: now, ...result }
}
