/**
 * Applying and ending a sanction, with the event that tells it: the one place that writes a
 * sanction row and its `sanction.applied` / `sanction.ended`, for the daily evaluation, the
 * operators and the OSS re-sync alike.
 */
import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { JobEngine } from '../../jobs/types.ts'
import { publishComplianceEvent } from './events.ts'
import type { LadderStep } from './ladder.ts'
import { sanctionAppliedTexts, sanctionEndedTexts } from './texts.ts'

const DAY_MS = 86_400_000

export interface SanctionInput {
  organisationId: string
  /** The late report it is for (at most one sanction per obligation and step); null for other causes. */
  obligationId: string | null
  step: LadderStep
  reason: string
  appliedBy: { type: 'system' | 'operator'; id: string }
  at: Date
  /** Added to the event's data (permit, days overdue). */
  detail?: Record<string, unknown>
}

/** The new sanction's id; undefined when this obligation already reached this step. */
export async function applySanctionStep(trx: Transaction<Database>, jobs: Pick<JobEngine, 'send'>, input: SanctionInput): Promise<string | undefined> {
  const { step } = input
  const sanction = await trx
    .insertInto('sanctions')
    .values({
      organisation_id: input.organisationId,
      obligation_id: input.obligationId,
      kind: step.kind,
      step: step.step,
      code: step.code,
      blocks_submissions: step.blocksSubmissions,
      reason: input.reason,
      applied_by_type: input.appliedBy.type,
      applied_by_id: input.appliedBy.id,
      applied_at: input.at,
      expires_at: step.lastsDays ? new Date(input.at.getTime() + step.lastsDays * DAY_MS) : null,
    })
    .onConflict((oc) => oc.columns(['obligation_id', 'step']).doNothing())
    .returning('id')
    .executeTakeFirst()
  if (!sanction) return undefined
  await publishComplianceEvent(trx, jobs, {
    organisationId: input.organisationId,
    type: 'sanction.applied',
    subjectId: sanction.id,
    source: `sanction:${sanction.id}:applied`,
    occurredAt: input.at,
    texts: sanctionAppliedTexts({ name: step.name, reason: input.reason, blocks: step.blocksSubmissions }),
    data: { sanctionId: sanction.id, obligationId: input.obligationId, kind: step.kind, step: step.step, code: step.code, blocksSubmissions: step.blocksSubmissions, reason: input.reason, ...input.detail },
  })
  return sanction.id
}

/** Tells that a sanction ended (its row already moved to `how`). */
export async function tellSanctionEnded(
  trx: Transaction<Database>,
  jobs: Pick<JobEngine, 'send'>,
  sanction: { id: string; organisation_id: string; code: string },
  step: LadderStep | undefined,
  how: 'lifted' | 'waived' | 'expired',
  reason: string | null,
  at: Date,
): Promise<void> {
  await publishComplianceEvent(trx, jobs, {
    organisationId: sanction.organisation_id,
    type: 'sanction.ended',
    subjectId: sanction.id,
    source: `sanction:${sanction.id}:ended`,
    occurredAt: at,
    texts: sanctionEndedTexts({ name: step?.name ?? { en: sanction.code, id: sanction.code }, how, reason }),
    data: { sanctionId: sanction.id, code: sanction.code, status: how, reason },
  })
}
