/** A permit looked up at INATRADE, and INATRADE's answer applied as a callback would be. */
import type { InatradeApplication } from '../../upstreams/index.ts'
import { applyInatradeReport, type InatradeReport } from './inatrade-status.ts'
import { recordEvent } from './journey.ts'
import { licenceOptions, type JourneyDeps } from './journey-deps.ts'

/** INATRADE's view as a report: the current status, with the reason and time of its last step. */
export function reportOf(application: InatradeApplication): InatradeReport {
  const last = [...application.history].reverse().find((entry) => entry.status === application.status)
  return { status: application.status, occurredAt: last?.at, reason: last?.reason, licence: application.licence }
}

/**
 * One permit looked up at INATRADE and what it says applied (as a callback would be): the
 * reconciliation's step, also taken at once after a forward INATRADE answered as a replay (an
 * earlier attempt filed it and its answer was lost: callbacks sent since found no permit).
 */
export async function lookUpAtInatrade(
  deps: JourneyDeps,
  permitId: string,
  inatradeId: string,
  traceparent: string,
): Promise<'applied' | 'unchanged' | 'failed'> {
  const permit = { id: permitId }
  try {
    const lookup = await deps.inatrade.getApplication(inatradeId, { traceparent })
    return await deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('permits').set({ updated_at: new Date() }).where('id', '=', permit.id).execute()
      if (!lookup.found) {
        await recordEvent(trx, permit.id, { type: 'permit.reconciled', actor: { type: 'system', id: 'reconciliation' }, hop: 'inatrade', outcome: 'failed', detail: { reason: 'not_found_at_inatrade' } })
        deps.log.error({ permitId: permit.id }, 'reconciliation: INATRADE does not know a forwarded permit')
        return 'failed'
      }
      const result = await applyInatradeReport(trx, permit.id, reportOf(lookup.application), { kind: 'reconciliation' }, licenceOptions(deps))
      return result.outcome === 'applied' ? 'applied' : 'unchanged'
    })
  } catch (error) {
    deps.log.warn({ permitId: permit.id, err: error }, 'reconciliation: INATRADE look-up failed')
    return 'failed'
  }
}

