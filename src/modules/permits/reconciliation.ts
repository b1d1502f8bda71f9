/**
 * The `permit.reconcile` job (every PERMIT_RECONCILE_INTERVAL_MS, jobs.ts): callbacks can be lost
 * (INATRADE gives up after a few tries, the gateway may have been down), so permits that have not
 * moved for PERMIT_RECONCILE_AFTER_MS are looked up at INATRADE and what it says is applied exactly
 * as a callback would be (applyInatradeReport: same rules, same events, actor system).
 *
 * Fairness: a permit legitimately under review for days would otherwise be polled every run
 * and, being the oldest, starve newer ones. Each poll touches `updated_at`, and a permit is polled
 * again only once `updated_at` is older than the threshold too: every stale permit is asked
 * about once per threshold period, oldest first, at most PERMIT_RECONCILE_BATCH per run.
 *
 * Permits stuck in `submitted` (a forward job lost to an operator's mistake, or a pre-engine
 * row) get their forward job enqueued again: cheap (the singleton key `permit:<id>` keeps it to
 * one queued job per permit) and safe (the forward job skips anything past `submitted`, and
 * INATRADE de-duplicates on the permit's idempotency key).
 */
import type { JobContext } from '../../jobs/types.ts'
import { attemptTraceparent } from './forwarding.ts'
import { lookUpAtInatrade } from './inatrade-lookup.ts'
import { FORWARD_QUEUE, type JourneyDeps } from './journey-deps.ts'

const POLLED = ['forwarded', 'received', 'under_review', 'approved'] as const

export interface ReconcileSettings {
  afterMs: number
  batch: number
}

export interface ReconcileSummary {
  polled: number
  applied: number
  unchanged: number
  failed: number
  reforwarded: number
}

export async function reconcilePermits(deps: JourneyDeps, settings: ReconcileSettings, _job?: JobContext): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = { polled: 0, applied: 0, unchanged: 0, failed: 0, reforwarded: 0 }
  const staleBefore = new Date(Date.now() - settings.afterMs)

  const stale = await deps.db
    .selectFrom('permits')
    .select(['id', 'inatrade_id', 'trace_id'])
    .where('status', 'in', [...POLLED])
    .where('inatrade_id', 'is not', null)
    .where('status_changed_at', '<', staleBefore)
    .where('updated_at', '<', staleBefore)
    .orderBy('updated_at')
    .limit(settings.batch)
    .execute()

  for (const permit of stale) {
    // An outage: stop asking; the next run tries again.
    if (deps.inatradeBreaker() === 'open') break
    summary.polled++
    const outcome = await lookUpAtInatrade(deps, permit.id, permit.inatrade_id!, attemptTraceparent(permit.trace_id))
    summary[outcome]++
  }

  const stuck = await deps.db
    .selectFrom('permits')
    .select('id')
    .where('status', '=', 'submitted')
    .where('status_changed_at', '<', staleBefore)
    .where('updated_at', '<', staleBefore)
    .orderBy('updated_at')
    .limit(settings.batch)
    .execute()
  for (const permit of stuck) {
    await deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('permits').set({ updated_at: new Date() }).where('id', '=', permit.id).execute()
      const jobId = await deps.jobs.send(trx, FORWARD_QUEUE, { permitId: permit.id }, { singletonKey: `permit:${permit.id}` })
      if (jobId !== null) summary.reforwarded++
    })
  }

  if (summary.polled + summary.reforwarded > 0) deps.log.info({ ...summary }, 'permit reconciliation run')
  return summary
}
