/**
 * An issued licence's obligations, written in the transaction that issues it (src/modules/permits/
 * inatrade-status.ts issueLicence): a licence never exists without the reports it owes. A repeat
 * (the same licence applied twice) adds nothing: (permit, period) is unique.
 */
import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { PermitLicence } from '../../db/tables/permits.ts'
import type { PermitType } from '../permit-types/catalogue.ts'
import { planObligations, planSurveyorObligations } from './deadline-rules.ts'

export interface IssuedPermit {
  id: string
  organisation_id: string
  surveyor_organisation_id?: string | null
  licence: PermitLicence | null
}

export async function createObligations(trx: Transaction<Database>, permit: IssuedPermit, type: PermitType | undefined): Promise<number> {
  if (!permit.licence || !type) return 0
  const licence = { issuedAt: new Date(permit.licence.issuedAt), validUntil: new Date(permit.licence.validUntil) }
  const owed = planObligations(type, licence).map((o) => ({ ...o, organisationId: permit.organisation_id }))
  // The surveyor a permit names reports its verifications every month the licence is valid.
  const surveyed =
    type.surveyorVerification && permit.surveyor_organisation_id
      ? planSurveyorObligations(licence).map((o) => ({ ...o, organisationId: permit.surveyor_organisation_id! }))
      : []
  const planned = [...owed, ...surveyed]
  if (planned.length === 0) return 0
  const inserted = await trx
    .insertInto('obligations')
    .values(
      planned.map((o) => ({
        organisation_id: o.organisationId,
        permit_id: permit.id,
        kind: o.kind,
        rule: o.rule,
        period: o.period,
        period_start: o.periodStart,
        period_end: o.periodEnd,
        nominal_due_date: o.nominalDueDate,
        due_date: o.dueDate,
        moved_because: o.movedBecause,
        due_at: o.dueAt,
      })),
    )
    .onConflict((oc) => oc.columns(['permit_id', 'organisation_id', 'period']).doNothing())
    .returning('id')
    .execute()
  return inserted.length
}
