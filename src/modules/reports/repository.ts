/** Realisation reports' SQL (migrations/0013_compliance.sql). */
import type { Kysely, Selectable, Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { RealisationLine, RealisationReportsTable, RealisationReportVersionsTable } from '../../db/tables/compliance.ts'

type Db = Kysely<Database> | Transaction<Database>
export type ReportRow = Selectable<RealisationReportsTable>
export type VersionRow = Selectable<RealisationReportVersionsTable>

/** The permit under its row lock: two reports of one permit take turns, so the quota check holds. */
export async function lockIssuedPermit(trx: Transaction<Database>, permitId: string) {
  return trx.selectFrom('permits').select(['id', 'organisation_id', 'status', 'payload', 'licence', 'applicant']).where('id', '=', permitId).forUpdate().executeTakeFirst()
}

export async function findReport(db: Db, permitId: string, reportId: string): Promise<ReportRow | undefined> {
  return db.selectFrom('realisation_reports').selectAll().where('id', '=', reportId).where('permit_id', '=', permitId).executeTakeFirst()
}

export async function findReportForPeriod(db: Db, permitId: string, period: string): Promise<ReportRow | undefined> {
  return db.selectFrom('realisation_reports').selectAll().where('permit_id', '=', permitId).where('period', '=', period).executeTakeFirst()
}

/** Lines of the current version of every report of the permit but `except`. */
export async function currentLinesOfPermit(db: Db, permitId: string, except?: string): Promise<RealisationLine[]> {
  let query = db
    .selectFrom('realisation_reports as r')
    .innerJoin('realisation_report_versions as v', (join) => join.onRef('v.report_id', '=', 'r.id').onRef('v.version', '=', 'r.current_version'))
    .select('v.lines')
    .where('r.permit_id', '=', permitId)
  if (except) query = query.where('r.id', '!=', except)
  const rows = await query.execute()
  return rows.flatMap((row) => row.lines)
}

export async function versionsOf(db: Db, reportId: string): Promise<VersionRow[]> {
  return db.selectFrom('realisation_report_versions').selectAll().where('report_id', '=', reportId).orderBy('version').execute()
}

export async function currentVersions(db: Db, reports: ReportRow[]): Promise<Map<string, VersionRow>> {
  if (reports.length === 0) return new Map()
  const rows = await db
    .selectFrom('realisation_report_versions as v')
    .innerJoin('realisation_reports as r', (join) => join.onRef('v.report_id', '=', 'r.id').onRef('v.version', '=', 'r.current_version'))
    .selectAll('v')
    .where('r.id', 'in', reports.map((report) => report.id))
    .execute()
  return new Map(rows.map((row) => [row.report_id, row]))
}

export async function reportsOfPermit(db: Db, permitId: string): Promise<ReportRow[]> {
  return db.selectFrom('realisation_reports').selectAll().where('permit_id', '=', permitId).orderBy('period', 'desc').execute()
}
