/**
 * The organisations a submission reads (the submitter's record, the surveyor and insurer it names
 * by NIB), cached for a few seconds per app: at hundreds of submissions a second the same few rows
 * are read over and over, and every round trip on the pool costs more than the work.
 *
 * Why a few seconds of staleness is acceptable: the submitter's record (NIB, NPWP, name, address)
 * changes only when an operator re-syncs it from OSS, and the permit keeps a snapshot of it taken
 * at submission anyway; a submission that saw the record of 5 s ago is one that arrived 5 s
 * earlier. A surveyor's or insurer's NIB names the same organisation for its whole life. Only
 * found organisations are cached: an organisation that has just joined is known at once (an
 * unknown NIB is a refused submission, never the steady state).
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { TtlCache } from '../../upstreams/ttl-cache.ts'
import type { OrganisationLookup, SubmittingOrganisation } from './checks/types.ts'
import { findSubmittingOrganisation } from './repository.ts'

export const ORGANISATION_CACHE_TTL_MS = 5_000
const MAX_ENTRIES = 1_000

export interface OrganisationDirectory extends OrganisationLookup {
  /** The submitting organisation's record; treat it as read-only (it is shared). */
  submitting(organisationId: string): Promise<SubmittingOrganisation | undefined>
}

export function organisationDirectory(db: Kysely<Database>, ttlMs: number = ORGANISATION_CACHE_TTL_MS): OrganisationDirectory {
  const records = new TtlCache<SubmittingOrganisation>({ ttlMs, maxEntries: MAX_ENTRIES })
  const idsByNib = new TtlCache<string>({ ttlMs, maxEntries: MAX_ENTRIES })
  return {
    async submitting(organisationId) {
      const cached = records.get(organisationId)
      if (cached) return cached
      const record = await findSubmittingOrganisation(db, organisationId)
      if (record) records.set(organisationId, record)
      return record
    },
    async idByNib(nib) {
      const cached = idsByNib.get(nib)
      if (cached) return cached
      const row = await db.selectFrom('organisations').select('id').where('nib', '=', nib).executeTakeFirst()
      if (row) idsByNib.set(nib, row.id)
      return row?.id
    },
  }
}
