/** SQL of the permit API. Functions take the db (or the caller's transaction) first. */
import type { Insertable, Kysely, Selectable, Transaction } from 'kysely'
import { afterCursor, keysetPosition } from '../../db/keyset.ts'
import type { Database } from '../../db/schema.ts'
import type { PermitEventsTable, PermitStatus, PermitsTable } from '../../db/tables/permits.ts'
import type { Cursor } from '../../http/pagination.ts'
import type { SubmittingOrganisation } from './checks/types.ts'

type Db = Kysely<Database> | Transaction<Database>

export type PermitRow = Selectable<PermitsTable>
export type PermitEventRow = Selectable<PermitEventsTable>

export async function findSubmittingOrganisation(db: Db, organisationId: string): Promise<SubmittingOrganisation | undefined> {
  return db.selectFrom('organisations').select(['id', 'nib', 'npwp', 'name', 'address']).where('id', '=', organisationId).executeTakeFirst()
}

/** Returns only what the first event needs: the payload is not read back. */
export async function insertPermit(trx: Transaction<Database>, values: Insertable<PermitsTable>) {
  return trx.insertInto('permits').values(values).returning(['id', 'organisation_id', 'trace_id', 'status', 'reference_number']).executeTakeFirstOrThrow()
}

/**
 * What a read needs: the columns of the owner's and partner's views and of the access check. Not
 * `selectAll()`: node-postgres describes and parses every column of every row it receives, and
 * the bookkeeping columns (submission hash, submitter, updated_at) are never shown.
 */
const VIEW_COLUMNS = [
  'id',
  'organisation_id',
  'surveyor_organisation_id',
  'insurer_organisation_id',
  'reference_number',
  'permit_type',
  'client_reference',
  'status',
  'applicant',
  'payload',
  'surveyor_nib',
  'insurer_nib',
  'documents',
  'receipt',
  'trace_id',
  'inatrade_id',
  'decision_reason',
  'licence',
  'forwarding_attempts',
  'last_forwarding_error',
  'submitted_at',
  'due_at',
  'status_changed_at',
  'decided_at',
] as const satisfies readonly (keyof PermitsTable)[]

/** A permit as the read paths (views, access checks) use it. */
export type PermitViewRow = Pick<PermitRow, (typeof VIEW_COLUMNS)[number]>

export async function findPermit(db: Db, permitId: string): Promise<PermitViewRow | undefined> {
  return db.selectFrom('permits').select(VIEW_COLUMNS).where('id', '=', permitId).executeTakeFirst()
}

export async function findPermitByClientReference(db: Db, organisationId: string, clientReference: string): Promise<{ id: string } | undefined> {
  return db.selectFrom('permits').select('id').where('organisation_id', '=', organisationId).where('client_reference', '=', clientReference).executeTakeFirst()
}

/** Whose permits a list shows: the organisation's own, or those naming it as surveyor or insurer. */
export type PermitAudience = { kind: 'owner'; organisationId: string } | { kind: 'surveyor' | 'insurer'; organisationId: string }

export interface PermitListFilter {
  audience: PermitAudience
  status?: PermitStatus
  permitType?: string
  clientReference?: string
  submittedFrom?: string
  submittedTo?: string
  /** Undecided permits due before this time (breached: now; at risk: the at-risk horizon)… */
  dueBefore?: Date
  /** …and, for at risk, not yet due. */
  dueFrom?: Date
  cursor?: Cursor
  limit: number
}

/** Statuses before a decision, whose SLA clock still runs. */
export const UNDECIDED: PermitStatus[] = ['submitted', 'forwarded', 'received', 'under_review', 'forwarding_failed']

export function listPermits(db: Db, filter: PermitListFilter) {
  const column = filter.audience.kind === 'owner' ? 'organisation_id' : filter.audience.kind === 'surveyor' ? 'surveyor_organisation_id' : 'insurer_organisation_id'
  let query = db
    .selectFrom('permits')
    .select([
      'id',
      'reference_number',
      'permit_type',
      'client_reference',
      'status',
      'submitted_at',
      'status_changed_at',
      'due_at',
      'licence',
      keysetPosition('submitted_at').as('position'),
    ])
    .where(column, '=', filter.audience.organisationId)
  if (filter.status) query = query.where('status', '=', filter.status)
  if (filter.permitType) query = query.where('permit_type', '=', filter.permitType)
  if (filter.clientReference) query = query.where('client_reference', '=', filter.clientReference)
  if (filter.submittedFrom) query = query.where('submitted_at', '>=', new Date(filter.submittedFrom))
  if (filter.submittedTo) query = query.where('submitted_at', '<', new Date(filter.submittedTo))
  if (filter.dueBefore) query = query.where('status', 'in', UNDECIDED).where('due_at', '<', filter.dueBefore)
  if (filter.dueFrom) query = query.where('due_at', '>=', filter.dueFrom)
  if (filter.cursor) query = query.where(afterCursor('submitted_at', 'id', filter.cursor))
  return query.orderBy('submitted_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute()
}

export function listPermitEvents(db: Db, permitId: string, afterSequence: number, limit: number): Promise<PermitEventRow[]> {
  return db
    .selectFrom('permit_events')
    .selectAll()
    .where('permit_id', '=', permitId)
    .where('sequence', '>', afterSequence)
    .orderBy('sequence', 'asc')
    .limit(limit + 1)
    .execute()
}
