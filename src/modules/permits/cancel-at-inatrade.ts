/**
 * The `permit.cancel` job: withdraws a forwarded permit at INATRADE.
 *
 * The rule (cancel vs decision): once a permit is at INATRADE, INATRADE decides whether it can
 * still be withdrawn. So the cancel route moves a permit to `cancelled` at once only when it has
 * not been forwarded (no `inatrade_id`: nothing exists elsewhere; the forward job skips it). A
 * forwarded permit keeps its status with a `permit.cancel_requested` event, and this job moves
 * it to `cancelled` when INATRADE confirms. When INATRADE answers ALREADY_DECIDED the decision
 * stands: the event `permit.cancel_refused` is recorded and the decision's callback (or the
 * reconciliation) moves the permit to approved/issued or rejected as usual.
 *
 * The job also copes with a permit the route already showed as `cancelled` (a permit cancelled
 * while its forwarding was on the wire, or a route that cancels at once): INATRADE's answer is
 * recorded; ALREADY_DECIDED then leaves the gateway and INATRADE disagreeing, which is logged as
 * an error for an operator, since a final status never moves again.
 */
import { isAppError } from '../../errors/app-error.ts'
import type { JobContext } from '../../jobs/types.ts'
import type { InatradeCancellation } from '../../upstreams/index.ts'
import { attemptTraceparent } from './forwarding.ts'
import { moveStatus, recordEvent } from './journey.ts'
import type { JourneyDeps, PermitJobData } from './journey-deps.ts'
import { CANCELLABLE } from './status.ts'

export function cancellationKey(permitId: string): string {
  return `permit-cancel:${permitId}`
}

const ACTOR = { type: 'system', id: 'cancellation' } as const

export async function cancelAtInatrade(deps: JourneyDeps, data: PermitJobData, job: JobContext): Promise<void> {
  const permit = await deps.db.selectFrom('permits').selectAll().where('id', '=', data.permitId).executeTakeFirst()
  // Never reached INATRADE: nothing to withdraw there (the route already cancelled it).
  if (!permit?.inatrade_id) return
  if (!CANCELLABLE.includes(permit.status) && permit.status !== 'cancelled') {
    // Decided meanwhile (the decision's callback won the race): nothing left to cancel.
    await deps.db.transaction().execute((trx) =>
      recordEvent(trx, permit.id, { type: 'permit.cancel_refused', actor: ACTOR, hop: 'gateway', outcome: 'ignored', detail: { reason: 'already_decided', currentStatus: permit.status } }),
    )
    return
  }
  if (deps.inatradeBreaker() === 'open') throw deps.retryLater(new Date(Date.now() + 30_000), 'INATRADE circuit open')

  let answer: InatradeCancellation
  const started = performance.now()
  try {
    answer = await deps.inatrade.cancelApplication(permit.inatrade_id, { idempotencyKey: cancellationKey(permit.id), traceparent: attemptTraceparent(permit.trace_id) })
  } catch (error) {
    const transient = isAppError(error) && ['UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', 'UPSTREAM_BAD_RESPONSE'].includes(error.code)
    const giveUp = !transient || job.isLastAttempt
    await deps.db.transaction().execute((trx) =>
      recordEvent(trx, permit.id, {
        type: 'permit.cancel_attempted',
        actor: ACTOR,
        hop: 'inatrade',
        outcome: giveUp ? 'failed' : 'retrying',
        detail: { attempt: job.retryCount + 1, errorCode: isAppError(error) ? error.code : 'UNEXPECTED', latencyMs: Math.round(performance.now() - started) },
      }),
    )
    if (!transient) {
      deps.log.error({ permitId: permit.id, err: error }, 'INATRADE refused a cancellation')
      return
    }
    throw error
  }
  const latencyMs = Math.round(performance.now() - started)

  await deps.db.transaction().execute(async (trx) => {
    switch (answer.outcome) {
      case 'cancelled': {
        const moved = await moveStatus(trx, permit.id, 'cancelled', {
          type: 'permit.cancelled',
          actor: { type: 'upstream', id: 'inatrade' },
          hop: 'inatrade',
          outcome: 'succeeded',
          detail: { cancelledAt: answer.cancelledAt, latencyMs },
        })
        if (!moved.moved) {
          await recordEvent(trx, permit.id, {
            type: 'permit.cancel_confirmed',
            actor: { type: 'upstream', id: 'inatrade' },
            hop: 'inatrade',
            outcome: 'succeeded',
            detail: { cancelledAt: answer.cancelledAt, latencyMs, currentStatus: moved.reason === 'not_allowed' ? moved.current : null },
          })
        }
        return
      }
      case 'already_decided':
        await recordEvent(trx, permit.id, {
          type: 'permit.cancel_refused',
          actor: { type: 'upstream', id: 'inatrade' },
          hop: 'inatrade',
          outcome: 'failed',
          detail: { reason: 'already_decided', inatradeStatus: answer.status ?? null, latencyMs },
        })
        if (permit.status === 'cancelled') {
          deps.log.error({ permitId: permit.id, inatradeStatus: answer.status }, 'permit shows cancelled but INATRADE had already decided it')
        }
        return
      case 'not_found':
        await recordEvent(trx, permit.id, { type: 'permit.cancel_refused', actor: { type: 'upstream', id: 'inatrade' }, hop: 'inatrade', outcome: 'failed', detail: { reason: 'not_found_at_inatrade', latencyMs } })
        deps.log.error({ permitId: permit.id }, 'INATRADE does not know a forwarded permit it was asked to cancel')
    }
  })
}
