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
import { readLadders } from './ladder.ts'
import { applySanctionStep } from './sanctions.ts'

export async function freezeForUnreportedChange(trx: Transaction<Database>, jobs: Pick<JobEngine, 'send'>, organisationId: string, fields: string[], now: Date): Promise<string | undefined> {
  const licensed = await trx.selectFrom('obligations').select('id').where('organisation_id', '=', organisationId).where('kind', '=', 'business_licence').limit(1).executeTakeFirst()
  if (!licensed) return undefined
  const step = (await readLadders(trx)).get('profile_change')?.find((s) => s.step === 1)
  if (!step) return undefined
  const reason = `The business profile changed in OSS (${fields.join(', ')}) without being reported to INSW; found by an operator's re-sync.`
  return applySanctionStep(trx, jobs, { organisationId, obligationId: null, step, reason, appliedBy: { type: 'system', id: 'oss-resync' }, at: now })
}
