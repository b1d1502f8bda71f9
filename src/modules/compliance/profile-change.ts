/**
 * "A change of the business profile not reported: freezing of the business licence" (domain).
 * The organisation reports a change by re-syncing its own profile from OSS (Sinkronkan Ulang);
 * a change that a platform operator's re-sync finds first was not reported. When the organisation
 * holds business licences (an issued permit with business-licence obligations), that freezes
 * them: step 1 of the `profile_change` ladder, told and blocking new applications until an
 * operator lifts it.
 */
import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { JobEngine } from '../../jobs/types.ts'
import { publishComplianceEvent } from './events.ts'
import { readLadders } from './ladder.ts'
import { sanctionAppliedTexts } from './texts.ts'

export async function freezeForUnreportedChange(trx: Transaction<Database>, jobs: Pick<JobEngine, 'send'>, organisationId: string, fields: string[], now: Date): Promise<string | undefined> {
  const licensed = await trx.selectFrom('obligations').select('id').where('organisation_id', '=', organisationId).where('kind', '=', 'business_licence').limit(1).executeTakeFirst()
  if (!licensed) return undefined
  const step = (await readLadders(trx)).get('profile_change')?.find((s) => s.step === 1)
  if (!step) return undefined
  const reason = `The business profile changed in OSS (${fields.join(', ')}) without being reported to INSW; found by an operator's re-sync.`
  const sanction = await trx
    .insertInto('sanctions')
    .values({ organisation_id: organisationId, kind: 'profile_change', step: 1, code: step.code, blocks_submissions: step.blocksSubmissions, reason, applied_by_type: 'system', applied_by_id: 'oss-resync', applied_at: now })
    .returning('id')
    .executeTakeFirstOrThrow()
  await publishComplianceEvent(trx, jobs, {
    organisationId,
    type: 'sanction.applied',
    subjectId: sanction.id,
    source: `sanction:${sanction.id}:applied`,
    occurredAt: now,
    texts: sanctionAppliedTexts({ name: step.name, reason, blocks: step.blocksSubmissions }),
    data: { sanctionId: sanction.id, obligationId: null, kind: 'profile_change', step: 1, code: step.code, blocksSubmissions: step.blocksSubmissions, reason },
  })
  return sanction.id
}
