/** Report rows as the API shows them. */
import { permitUrl } from '../permits/views.ts'
import type { ReportRow, VersionRow } from './repository.ts'
import type { RealisationReport } from './schemas.ts'

export function reportUrl(permitId: string, reportId: string): string {
  return `${permitUrl(permitId)}/realisation-reports/${reportId}`
}

export function versionView(row: VersionRow) {
  return {
    version: row.version,
    lines: row.lines,
    nil: row.lines.length === 0,
    amendmentReason: row.amendment_reason,
    submittedAt: row.submitted_at.toISOString(),
    submittedBy: { type: row.submitted_by_type, id: row.submitted_by_id },
    forwarding: {
      status: row.forwarding_status,
      attempts: row.forwarding_attempts,
      lastError: row.last_forwarding_error,
      receiptNumber: row.inatrade_receipt_number,
      forwardedAt: row.forwarded_at?.toISOString() ?? null,
    },
  }
}

export function reportView(report: ReportRow, current: VersionRow, late: boolean): RealisationReport {
  const self = reportUrl(report.permit_id, report.id)
  return {
    id: report.id,
    reportNumber: report.report_number,
    permitId: report.permit_id,
    obligationId: report.obligation_id,
    period: report.period,
    late,
    currentVersion: report.current_version,
    current: versionView(current) as RealisationReport['current'],
    createdAt: report.created_at.toISOString(),
    links: { self, versions: `${self}/versions`, permit: permitUrl(report.permit_id) },
  }
}
