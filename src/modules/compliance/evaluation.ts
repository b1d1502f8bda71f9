/**
 * The daily compliance evaluation (pg-boss cron `compliance.evaluate`, once a day across every
 * instance; also sent when the sandbox clock moves). In one transaction under an advisory lock,
 * so two workers that both get to run it (a manual run racing the cron) take turns and the second
 * finds nothing left to do:
 * 1. reminders: an obligation still due within `reminderDays` is told once (`obligation.due_soon`);
 * 2. escalation: an obligation past its deadline moves along its ladder to the step its days
 *    overdue have reached (sanction_ladder), each step applied once (unique per obligation and
 *    step) and told (`sanction.applied`); a submitted or waived obligation is never escalated;
 * 3. expiry: a sanction whose term ran out (lasts_days) ends (`sanction.ended`).
 * Every step is measured against business time (`now`).
 */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { JobEngine } from '../../jobs/types.ts'
import { QUEUES } from '../../jobs/queues.ts'
import { publishComplianceEvent } from './events.ts'
import { daysOverdue, readLadders, stepDue, type LadderStep } from './ladder.ts'
import { applySanctionStep, tellSanctionEnded } from './sanctions.ts'
import { dueSoonTexts } from './texts.ts'

export interface EvaluationDeps {
  db: Kysely<Database>
  jobs: Pick<JobEngine, 'send' | 'wake'>
}

export interface EvaluationResult {
  reminders: number
  sanctions: number
  expired: number
}

const DAY_MS = 86_400_000
/** Any constant key: it only has to be the same on every instance. */
const EVALUATION_LOCK = 812_026_12

export async function evaluateCompliance(deps: EvaluationDeps, now: Date, reminderDays: number): Promise<EvaluationResult> {
  const result = await deps.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${EVALUATION_LOCK})`.execute(trx)
    const ladders = await readLadders(trx)
    return {
      reminders: await remind(trx, deps, now, reminderDays),
      sanctions: await escalate(trx, deps, now, ladders),
      expired: await expire(trx, deps, now, ladders),
    }
  })
  if (result.reminders + result.sanctions + result.expired > 0) deps.jobs.wake(QUEUES.webhookDeliver.name)
  return result
}

async function remind(trx: Transaction<Database>, deps: EvaluationDeps, now: Date, reminderDays: number): Promise<number> {
  const soon = await trx
    .selectFrom('obligations as o')
    .innerJoin('permits as p', 'p.id', 'o.permit_id')
    .select(['o.id', 'o.organisation_id', 'o.permit_id', 'o.period', 'o.due_date', 'o.due_at', 'o.kind', 'p.reference_number'])
    .where('o.status', '=', 'due')
    .where('o.reminded_at', 'is', null)
    .where('o.due_at', '>=', now)
    .where('o.due_at', '<', new Date(now.getTime() + reminderDays * DAY_MS))
    .execute()
  for (const o of soon) {
    await publishComplianceEvent(trx, deps.jobs, {
      organisationId: o.organisation_id,
      type: 'obligation.due_soon',
      subjectId: o.id,
      source: `obligation:${o.id}:due_soon`,
      occurredAt: now,
      texts: dueSoonTexts({ period: o.period, reference: o.reference_number, dueDate: o.due_date }),
      data: { obligationId: o.id, permitId: o.permit_id, kind: o.kind, period: o.period, dueDate: o.due_date, dueAt: o.due_at.toISOString() },
    })
    await trx.updateTable('obligations').set({ reminded_at: now }).where('id', '=', o.id).execute()
  }
  return soon.length
}

async function escalate(trx: Transaction<Database>, deps: EvaluationDeps, now: Date, ladders: Map<string, LadderStep[]>): Promise<number> {
  const overdue = await trx
    .selectFrom('obligations as o')
    .innerJoin('permits as p', 'p.id', 'o.permit_id')
    .select(['o.id', 'o.organisation_id', 'o.permit_id', 'o.kind', 'o.period', 'o.due_date', 'o.due_at', 'o.sanction_step', 'p.reference_number'])
    .where('o.status', '=', 'due')
    .where('o.due_at', '<', now)
    .orderBy('o.due_at')
    .execute()
  let applied = 0
  for (const o of overdue) {
    const steps = ladders.get(o.kind) ?? []
    const days = daysOverdue(o.due_at, now)
    const target = stepDue(steps, days)
    for (const step of steps.filter((s) => s.step > o.sanction_step && s.step <= target)) {
      const reason = `Realisation report for ${o.period} of permit ${o.reference_number} is ${days} day(s) late (due ${o.due_date}).`
      const sanctionId = await applySanctionStep(trx, deps.jobs, {
        organisationId: o.organisation_id,
        obligationId: o.id,
        step,
        reason,
        appliedBy: { type: 'system', id: 'compliance-evaluation' },
        at: now,
        detail: { permitId: o.permit_id, daysOverdue: days },
      })
      if (sanctionId) applied += 1
    }
    if (target > o.sanction_step) await trx.updateTable('obligations').set({ sanction_step: target }).where('id', '=', o.id).execute()
  }
  return applied
}

async function expire(trx: Transaction<Database>, deps: EvaluationDeps, now: Date, ladders: Map<string, LadderStep[]>): Promise<number> {
  const ended = await trx
    .updateTable('sanctions')
    .set({ status: 'expired', ended_at: now, ended_by: 'compliance-evaluation' })
    .where('status', '=', 'active')
    .where('expires_at', '<=', now)
    .returning(['id', 'organisation_id', 'kind', 'step', 'code'])
    .execute()
  for (const sanction of ended) {
    await tellSanctionEnded(trx, deps.jobs, sanction, ladders.get(sanction.kind)?.find((s) => s.step === sanction.step), 'expired', null, now)
  }
  return ended.length
}
