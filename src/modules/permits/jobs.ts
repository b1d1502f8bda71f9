/**
 * The handlers of `permit.forward`, `permit.cancel` and `permit.reconcile` (every minute) on the
 * one job engine. Register after the db, upstreams, permit-types and jobs plugins; the routes
 * are journey-routes.ts.
 */
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config.ts'
import type { JobContext, JobHandler } from '../../jobs/types.ts'
import { cancelAtInatrade } from './cancel-at-inatrade.ts'
import { forwardPermit, operatorRetryForward } from './forwarding.ts'
import { CANCEL_QUEUE, FORWARD_QUEUE, RECONCILE_QUEUE, type JourneyDeps, type PermitJobData } from './journey-deps.ts'
import { reconcilePermits } from './reconciliation.ts'

export interface PermitJourneyOptions {
  config: Pick<Config, 'publicUrl' | 'permits'>
  /** The engine's RetryLater error (`new RetryLater(until, reason)`). */
  retryLater: (until: Date, reason: string) => Error
}

/** Default: after this many forwarding attempts INATRADE's Retry-After no longer defers for free. */
export const MAX_DEFERRED_ATTEMPTS = 20

export function journeyDeps(app: FastifyInstance, options: PermitJourneyOptions): JourneyDeps {
  return {
    db: app.db,
    inatrade: app.upstreams.inatrade,
    oss: app.upstreams.oss,
    inatradeBreaker: () => app.upstreams.breakerStates().inatrade,
    jobs: app.jobs,
    retryLater: options.retryLater,
    publicUrl: options.config.publicUrl,
    licence: { permitTypeName: (code) => app.permitTypes.get(code)?.name.en },
    maxDeferredAttempts: MAX_DEFERRED_ATTEMPTS,
    log: app.log,
  }
}

/** The engine's work() with the options the jobs helper adds (operator retry hook, schedules). */
interface EngineExtras {
  work<T extends object>(queue: string, handler: JobHandler<T>, options?: { onOperatorRetry?: (data: T, executor: unknown) => Promise<void> }): void
  schedule?(queue: string, cron: string, data?: object): Promise<void> | void
}

export async function registerPermitJourneyJobs(app: FastifyInstance, options: PermitJourneyOptions): Promise<void> {
  const deps = journeyDeps(app, options)

  const engine = app.jobs as unknown as EngineExtras
  engine.work<PermitJobData>(FORWARD_QUEUE, (data, job: JobContext) => forwardPermit(deps, data, job), {
    onOperatorRetry: (data, executor) => operatorRetryForward(data, executor as never),
  })
  engine.work<PermitJobData>(CANCEL_QUEUE, (data, job) => cancelAtInatrade(deps, data, job))
  const settings = { afterMs: options.config.permits.reconcileAfterMs, batch: options.config.permits.reconcileBatch }
  engine.work<object>(RECONCILE_QUEUE, async (_data, job) => {
    await reconcilePermits(deps, settings, job)
  })
  // Every minute, once across instances (pg-boss schedules fire once per cron tick).
  await engine.schedule?.(RECONCILE_QUEUE, '* * * * *', {})
}
