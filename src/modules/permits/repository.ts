/** SQL of the permit API. Functions take the db (or the caller's transaction) first. */
import { sql, type Insertable, type Kysely, type OperationNodeSource, type Selectable, type Transaction } from 'kysely'
import { afterCursor, keysetPosition } from '../../db/keyset.ts'
import type { Database } from '../../db/schema.ts'
import type { PermitApplicant, PermitDocumentRef, PermitEventsTable, PermitStatus, PermitsTable } from '../../db/tables/permits.ts'
import type { Cursor } from '../../http/pagination.ts'
import type { JobInsertStatement } from '../../jobs/types.ts'
import type { SubmittingOrganisation } from './checks/types.ts'
import type { firstEventRows } from './journey.ts'

type Db = Kysely<Database> | Transaction<Database>

export type PermitRow = Selectable<PermitsTable>
export type PermitEventRow = Selectable<PermitEventsTable>

export async function findSubmittingOrganisation(db: Db, organisationId: string): Promise<SubmittingOrganisation | undefined> {
  return db.selectFrom('organisations').select(['id', 'nib', 'npwp', 'name', 'address']).where('id', '=', organisationId).executeTakeFirst()
}

/** A new permit as `insertSubmission` takes it: the jsonb columns as values, not JSON text. */
export type NewPermit = Omit<Insertable<PermitsTable>, 'id' | 'applicant' | 'payload' | 'documents'> & {
  id: string
  applicant: PermitApplicant
  payload: Record<string, unknown>
  documents: PermitDocumentRef[]
}

export interface SubmissionRows {
  permit: NewPermit
  events: ReturnType<typeof firstEventRows>
  /**
   * The submitting user (users.id), when a person submits: their name and NIK, when their NIK is
   * on file, become the applicant's person in charge (read in the statement: no query of its own).
   */
  submitterUserId?: string
  /**
   * A data-modifying statement with RETURNING (the Idempotency-Key's, idempotency.ts) run first
   * in the same statement: the permit and its events are inserted only when it returns a row.
   */
  onlyIf?: OperationNodeSource
  /**
   * The forwarding job's own pg-boss insert (JobEngine.insertStatement), folded in as one more
   * CTE guarded like the events: the whole submission is then one statement, atomic on its own.
   */
  job?: JobInsertStatement
}

const NIK_PATTERN = '^[0-9]{16}$'

/**
 * A new permit and its first events, in one statement (one round trip: each costs more than the
 * work on a busy pool): data-modifying CTEs, the rows sent as JSON and typed by the tables' own
 * row types (`jsonb_populate_record`), so every column gets its type and default as in a plain
 * insert. Returns whether the permit was inserted (false only when `onlyIf` returned nothing).
 * A second permit with the organisation's clientReference fails with 23505, as a plain insert would.
 */
export async function insertSubmission(db: Db, rows: SubmissionRows): Promise<boolean> {
  const permitColumns = Object.keys(rows.permit)
  const eventColumns = Object.keys(rows.events[0] ?? {})
  const refs = (names: string[], alias?: string) => sql.join(names.map((name) => sql.ref(alias ? `${alias}.${name}` : name)))
  // The user's NIK wins over the one from OSS the service recorded (forwarding.ts reads it first).
  const applicant = rows.submitterUserId
    ? sql`case when u.nik ~ ${NIK_PATTERN} then r.applicant || jsonb_build_object('personInCharge', jsonb_build_object('name', u.full_name, 'nik', u.nik)) else r.applicant end`
    : sql.ref('r.applicant')
  const permitSelect = sql.join(permitColumns.map((name) => (name === 'applicant' ? applicant : sql.ref(`r.${name}`))))
  const submitter = rows.submitterUserId ? sql`left join users u on u.id = ${rows.submitterUserId}::uuid` : sql``
  const guard = rows.onlyIf ? sql`where exists (select 1 from guard)` : sql``
  const result = await sql<{ inserted: boolean }>`
    with ${rows.onlyIf ? sql`guard as (${rows.onlyIf}),` : sql``}
    p as (
      insert into permits (${refs(permitColumns)})
      select ${permitSelect} from jsonb_populate_record(null::permits, ${JSON.stringify(rows.permit)}::jsonb) r ${submitter}
      ${guard}
      returning id
    ),
    e as (
      insert into permit_events (${refs(eventColumns)})
      select ${refs(eventColumns, 'r')} from jsonb_populate_recordset(null::permit_events, ${JSON.stringify(rows.events)}::jsonb) r
      where exists (select 1 from p)
    )${rows.job ? sql`,
    job as (${sql.raw(rows.job.head)}${rows.job.param}${sql.raw(rows.job.beforeConflict)} where exists (select 1 from p) ${sql.raw(rows.job.conflict)})` : sql``}
    select exists (select 1 from p) as inserted`.execute(db)
  return result.rows[0]?.inserted === true
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
