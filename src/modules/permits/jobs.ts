/**
 * The handlers of `permit.forward`, `permit.cancel` and `permit.reconcile` on the one job engine,
 * the reconciliation's period (PERMIT_RECONCILE_INTERVAL_MS, one run per period across instances)
 * and the hourly sweep of expired idempotency keys (pg-boss cron: one firing across instances).
 * Register after the db, upstreams, permit-types and jobs plugins; the routes are journey-routes.ts.
 */
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config.ts'
import { RetryLater } from '../../jobs/types.ts'
import { cancelAtInatrade } from './cancel-at-inatrade.ts'
import { forwardPermits, operatorRetryForward } from './forwarding.ts'
import { CANCEL_QUEUE, FORWARD_QUEUE, RECONCILE_QUEUE, licenceSettings, type JourneyDeps, type PermitJobData } from './journey-deps.ts'
import { QUEUES } from '../../jobs/queues.ts'
import { sweepIdempotencyKeys } from './idempotency.ts'
import { reconcilePermits } from './reconciliation.ts'

export interface PermitJourneyOptions {
  config: Pick<Config, 'publicUrl' | 'permits'>
}

/** After this many forwarding attempts INATRADE's Retry-After no longer defers for free. */
export const MAX_DEFERRED_ATTEMPTS = 20

/** Forward jobs fetched and sent at once by one worker (INATRADE sees that many requests side by side). */
export const FORWARD_BATCH_SIZE = 50

export const IDEMPOTENCY_SWEEP_CRON = '17 * * * *'

export function journeyDeps(app: FastifyInstance, options: PermitJourneyOptions): JourneyDeps {
  return {
    db: app.db,
    inatrade: app.upstreams.inatrade,
    oss: app.upstreams.oss,
    inatradeBreaker: () => app.upstreams.breakerStates().inatrade,
    jobs: app.jobs,
    retryLater: (until, reason) => new RetryLater(until, reason),
    publicUrl: options.config.publicUrl,
    licence: licenceSettings(app),
    maxDeferredAttempts: MAX_DEFERRED_ATTEMPTS,
    log: app.log,
  }
}

export async function registerPermitJourneyJobs(app: FastifyInstance, options: PermitJourneyOptions): Promise<void> {
  const deps = journeyDeps(app, options)
  // In batches: a backlog (a burst, a restart after an INATRADE outage) drains at INATRADE's pace.
  app.jobs.workBatch<PermitJobData>(FORWARD_QUEUE, (jobs) => forwardPermits(deps, jobs), {
    batchSize: FORWARD_BATCH_SIZE,
    // INATRADE's circuit is open on this instance: leave the queue alone until it may close (then
    // one batch goes out and the first call is the circuit's trial).
    holdWhile: () => deps.inatradeBreaker() === 'open',
    // The operator's retry of a dead-lettered forward: the permit goes back to `submitted` in the retry's transaction.
    onOperatorRetry: (data, executor) => operatorRetryForward(data, executor),
  })
  app.jobs.work<PermitJobData>(CANCEL_QUEUE, (data, job) => cancelAtInatrade(deps, data, job))
  const settings = { afterMs: options.config.permits.reconcileAfterMs, batch: options.config.permits.reconcileBatch }
  // One sweep per run (the data is ignored): the stale permits are chosen by the query, oldest first.
  app.jobs.work<object>(RECONCILE_QUEUE, async (_data, job) => {
    await reconcilePermits(deps, settings, job)
  })
  app.jobs.work<object>(QUEUES.idempotencySweep.name, async () => {
    const deleted = await sweepIdempotencyKeys(app.db)
    if (deleted > 0) app.log.info({ deleted }, 'expired idempotency keys swept')
  })
  // Not a pg-boss schedule: its cron fires at most once a minute, and the kill tests want seconds.
  // Every instance asks once a period; the job's singleton period keeps it to one run per period
  // across all of them.
  const intervalMs = options.config.permits.reconcileIntervalMs
  const askForReconciliation = () =>
    app.jobs
      .send(app.db, RECONCILE_QUEUE, {}, { singletonKey: 'reconcile', singletonSeconds: Math.max(1, Math.round(intervalMs / 1000)) })
      .catch((error: unknown) => app.log.error({ err: error }, 'permit reconciliation not queued; asking again next period'))
  let reconcileTimer: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    // The every-minute schedule of earlier releases, replaced by the period above.
    await app.jobEngine.boss.unschedule(RECONCILE_QUEUE)
    // An upsert: every instance may declare it; pg-boss fires it once per period across all of them.
    await app.jobEngine.boss.schedule(QUEUES.idempotencySweep.name, IDEMPOTENCY_SWEEP_CRON, {})
    reconcileTimer = setInterval(askForReconciliation, intervalMs).unref()
  })
  app.addHook('onClose', async () => clearInterval(reconcileTimer))
}
