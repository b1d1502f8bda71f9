/**
 * Every queue of the gateway and its retry policy, in one place: one vocabulary for mail and
 * permits alike. The engine creates them (and their dead letter queues) at start and updates
 * their policy when it changed here, so a deploy is all it takes to tune one.
 *
 * The rule for payloads: **ids only** (`{ mailId }`, `{ permitId }`), never personal data (NIK,
 * NPWP, e-mail addresses, names, tokens). Jobs are shown to platform operators
 * (`GET /v1/operator/jobs`) and kept for days after they ran; the rows they point at carry the
 * data, with that data's own access rules. Error messages stored on a failed job are cut short
 * for the same reason (see engine.ts).
 *
 * Retries: pg-boss's exponential backoff waits `retryDelay × 2^n` to `retryDelay × 2^(n+1)`
 * seconds before retry n+1, a random point in that range ("equal jitter", built into pg-boss), so
 * jobs that failed together do not come back together; `retryDelayMax` caps it. A job runs at
 * most `retryLimit + 1` times; after the last failure pg-boss copies it to the queue's dead
 * letter queue (`<queue>.dead`), where it waits (no worker) for an operator's retry.
 */

export interface QueuePolicy {
  name: string
  /** Retries after the first attempt: `retryLimit + 1` attempts in all. */
  retryLimit: number
  /** Seconds before the first retry; doubled for each further one (with jitter). */
  retryDelay: number
  retryBackoff: boolean
  /** Longest wait between two attempts, in seconds. */
  retryDelayMax: number
  /** Seconds one attempt may run before pg-boss counts it failed (a crashed worker's job comes back after this). */
  expireInSeconds: number
  /** Dead letter queue: failed for good, kept for operators. */
  deadLetter: string
  /**
   * pg-boss's policy per singletonKey: `short` (default) keeps at most one job waiting;
   * `stately` also runs at most one at a time, so the jobs of one key run in order.
   */
  policy?: 'short' | 'stately'
  /**
   * Wake idle workers of every instance with LISTEN/NOTIFY when a job is sent (default true).
   * Off for the queues fed at hundreds of jobs a second (forwarding, webhook deliveries): on
   * PostgreSQL up to 16 a transaction that NOTIFYs holds one cluster-wide lock from before its
   * commit to after its WAL flush, so every submission would wait for the others' commits in
   * turn. Those queues are woken in-process (JobEngine.wake) and polled by other instances.
   */
  notify?: boolean
}

/** Dead-lettered jobs stay this long (30 days) for an operator to retry. */
export const DEAD_LETTER_RETENTION_SECONDS = 30 * 24 * 60 * 60

function policy(name: string, retry: Omit<QueuePolicy, 'name' | 'deadLetter' | 'retryBackoff'>): QueuePolicy {
  return { name, retryBackoff: true, deadLetter: `${name}.dead`, ...retry }
}

export const QUEUES = {
  /** `{ mailId }`: deliver one row of mail_outbox. 12 attempts over about a day, like the outbox before it. */
  mailDeliver: policy('mail.deliver', { retryLimit: 11, retryDelay: 30, retryDelayMax: 60 * 60, expireInSeconds: 120 }),
  /** `{ permitId }`: forward a submitted permit to INATRADE (its idempotency key makes a repeat harmless). */
  permitForward: { ...policy('permit.forward', { retryLimit: 8, retryDelay: 5, retryDelayMax: 10 * 60, expireInSeconds: 90 }), notify: false },
  /** `{}`: a sweep, once per PERMIT_RECONCILE_INTERVAL_MS across instances (permits/jobs.ts): ask INATRADE about the permits whose callbacks have gone quiet. */
  permitReconcile: policy('permit.reconcile', { retryLimit: 5, retryDelay: 30, retryDelayMax: 15 * 60, expireInSeconds: 90 }),
  /** `{ permitId }`: tell INATRADE a permit was cancelled before a decision. */
  permitCancel: policy('permit.cancel', { retryLimit: 8, retryDelay: 5, retryDelayMax: 10 * 60, expireInSeconds: 90 }),
  /**
   * `{ webhookId, subjectId }`: deliver one endpoint's pending messages about one permit, in
   * sequence order. One job at a time per endpoint and permit (stately), so a receiver sees a
   * permit's steps in order; retried for about three days (backoff capped at 6 h).
   */
  webhookDeliver: { ...policy('webhook.deliver', { retryLimit: 20, retryDelay: 30, retryDelayMax: 6 * 60 * 60, expireInSeconds: 120 }), policy: 'stately', notify: false },
  /** `{ reportId, version }`: forward one version of a realisation report to INATRADE (keyed by report and version: a repeat files nothing twice). */
  reportForward: policy('report.forward', { retryLimit: 8, retryDelay: 5, retryDelayMax: 10 * 60, expireInSeconds: 90 }),
  /** `{ businessDate }`: the daily compliance evaluation (pg-boss cron, once across instances; also sent when the sandbox clock moves). */
  complianceEvaluate: policy('compliance.evaluate', { retryLimit: 5, retryDelay: 30, retryDelayMax: 15 * 60, expireInSeconds: 300 }),
  /** `{}`: delete idempotency keys past their 24 h (hourly, pg-boss cron: once across instances). */
  idempotencySweep: policy('idempotency.sweep', { retryLimit: 2, retryDelay: 60, retryDelayMax: 10 * 60, expireInSeconds: 120 }),
} as const satisfies Record<string, QueuePolicy>

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES]['name']

export const QUEUE_POLICIES: readonly QueuePolicy[] = Object.values(QUEUES)
