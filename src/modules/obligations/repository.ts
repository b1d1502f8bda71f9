/** Obligations' SQL (migrations/0013_compliance.sql). */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { ObligationsTable } from '../../db/tables/compliance.ts'
import { invalidCursor, UUID, type Cursor } from '../../http/pagination.ts'
import { wibDateKey } from '../../calendar/working-days.ts'

type Db = Kysely<Database> | Transaction<Database>
export type ObligationRow = Selectable<ObligationsTable>

export interface ObligationFilter {
  organisationId: string
  now: Date
  status?: 'due' | 'overdue' | 'submitted' | 'waived'
  permitId?: string
  kind?: string
  dueFrom?: string
  dueTo?: string
  cursor?: Cursor
  limit: number
}

/** Earliest deadline first (what to do next), pages continued after (due_at, id). */
export async function listObligations(db: Db, filter: ObligationFilter): Promise<(ObligationRow & { position: string })[]> {
  let query = db
    .selectFrom('obligations')
    .selectAll()
    .select(sql<string>`due_at::text`.as('position'))
    .where('organisation_id', '=', filter.organisationId)
  if (filter.status === 'due') query = query.where('status', '=', 'due').where('due_at', '>=', filter.now)
  if (filter.status === 'overdue') query = query.where('status', '=', 'due').where('due_at', '<', filter.now)
  if (filter.status === 'submitted' || filter.status === 'waived') query = query.where('status', '=', filter.status)
  if (filter.permitId) query = query.where('permit_id', '=', filter.permitId)
  if (filter.kind) query = query.where('kind', '=', filter.kind)
  if (filter.dueFrom) query = query.where('due_date', '>=', filter.dueFrom)
  if (filter.dueTo) query = query.where('due_date', '<=', filter.dueTo)
  if (filter.cursor) {
    const cursor = filter.cursor
    if (!UUID.test(cursor.id)) throw invalidCursor()
    query = query.where(sql<boolean>`(due_at, id) > (${cursor.at}::timestamptz, ${cursor.id}::uuid)`)
  }
  return query.orderBy('due_at').orderBy('id').limit(filter.limit + 1).execute()
}

/** The organisation's obligation for a period of a permit (the holder's, or a named surveyor's). */
export async function findObligationForPeriod(db: Db, permitId: string, organisationId: string, period: string): Promise<ObligationRow | undefined> {
  return db.selectFrom('obligations').selectAll().where('permit_id', '=', permitId).where('organisation_id', '=', organisationId).where('period', '=', period).executeTakeFirst()
}

export async function openPeriods(db: Db, permitId: string, organisationId: string): Promise<string[]> {
  const rows = await db.selectFrom('obligations').select('period').where('permit_id', '=', permitId).where('organisation_id', '=', organisationId).where('status', '=', 'due').orderBy('due_at').execute()
  return rows.map((row) => row.period)
}

/**
 * A surveyor's verification report meets its monthly obligation for the permit: the month (WIB)
 * of the inspection. A repeat or a month already met changes nothing.
 */
export async function meetSurveyorObligation(db: Db, input: { permitId: string; organisationId: string; inspectedAt: Date; reportId: string; at: Date }): Promise<void> {
  await db
    .updateTable('obligations')
    .set({ status: 'submitted', report_id: input.reportId, submitted_at: input.at })
    .where('permit_id', '=', input.permitId)
    .where('organisation_id', '=', input.organisationId)
    .where('kind', '=', 'surveyor_report')
    .where('period', '=', wibDateKey(input.inspectedAt).slice(0, 7))
    .where('status', '=', 'due')
    .execute()
}
