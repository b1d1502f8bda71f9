/**
 * `report.forward`: one version of a report to INATRADE, keyed by report and version so a retry
 * (or a repeat after a crash between INATRADE's answer and our commit) files nothing twice.
 * Failures are retried by the job engine with backoff; after the last attempt the version is
 * `failed`, visible in the report and to operators (the job's dead letter can be retried).
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { PermitApplicant, PermitLicence } from '../../db/tables/permits.ts'
import type { JobContext } from '../../jobs/types.ts'
import type { InatradeAdapter } from '../../upstreams/index.ts'

export interface ReportForwardDeps {
  db: Kysely<Database>
  inatrade: Pick<InatradeAdapter, 'submitRealisationReport'>
  log: { warn(obj: Record<string, unknown>, msg: string): void }
}

export interface ReportForwardJob {
  reportId: string
  version: number
}

/** INATRADE files reports by month: the month the period ends in. */
function periodMonth(periodEnd: string): { year: number; month: number } {
  return { year: Number(periodEnd.slice(0, 4)), month: Number(periodEnd.slice(5, 7)) }
}

export async function forwardReport(deps: ReportForwardDeps, data: ReportForwardJob, job: JobContext): Promise<void> {
  const row = await deps.db
    .selectFrom('realisation_report_versions as v')
    .innerJoin('realisation_reports as r', 'r.id', 'v.report_id')
    .innerJoin('permits as p', 'p.id', 'r.permit_id')
    .innerJoin('obligations as o', 'o.id', 'r.obligation_id')
    .select(['v.lines', 'v.forwarding_status', 'r.report_number', 'p.applicant', 'p.licence', 'o.period_end'])
    .where('v.report_id', '=', data.reportId)
    .where('v.version', '=', data.version)
    .executeTakeFirst()
  if (!row || row.forwarding_status === 'forwarded') return
  const applicant = row.applicant as PermitApplicant
  const licence = row.licence as PermitLicence
  try {
    const receipt = await deps.inatrade.submitRealisationReport(
      { reportNumber: `${row.report_number}-v${data.version}`, nib: applicant.nib, licenceNumber: licence.number, period: periodMonth(row.period_end), lines: row.lines as unknown as Record<string, unknown>[] },
      { idempotencyKey: `report:${data.reportId}:v${data.version}` },
    )
    await deps.db
      .updateTable('realisation_report_versions')
      .set((eb) => ({ forwarding_status: 'forwarded', forwarding_attempts: eb('forwarding_attempts', '+', 1), last_forwarding_error: null, inatrade_receipt_number: receipt.receiptNumber, forwarded_at: new Date() }))
      .where('report_id', '=', data.reportId)
      .where('version', '=', data.version)
      .execute()
  } catch (error) {
    const message = error instanceof Error ? error.message.slice(0, 500) : 'forwarding failed'
    await deps.db
      .updateTable('realisation_report_versions')
      .set((eb) => ({ forwarding_attempts: eb('forwarding_attempts', '+', 1), last_forwarding_error: message, ...(job.isLastAttempt ? { forwarding_status: 'failed' as const } : {}) }))
      .where('report_id', '=', data.reportId)
      .where('version', '=', data.version)
      .execute()
    deps.log.warn({ reportId: data.reportId, version: data.version, attempt: job.retryCount + 1, error: message }, 'realisation report not forwarded; retrying later')
    throw error
  }
}
