/** Tables of obligations, realisation reports and sanctions (migrations/0013_compliance.sql). */
import type { ColumnType, Generated } from 'kysely'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type Json<T> = ColumnType<T, string, string>
type Optional<T> = ColumnType<T | null, T | null | undefined, T | null>

export type ObligationStatus = 'due' | 'submitted' | 'waived'
export type SanctionStatus = 'active' | 'lifted' | 'waived' | 'expired'

export interface BusinessClockTable {
  id: Generated<boolean>
  offset_ms: ColumnType<number, number | undefined, number>
  updated_at: Timestamp
}

export interface ObligationsTable {
  id: Generated<string>
  organisation_id: string
  permit_id: string
  kind: string
  rule: string
  period: string
  /** WIB calendar dates, `YYYY-MM-DD`. */
  period_start: string
  period_end: string
  nominal_due_date: string
  due_date: string
  moved_because: Optional<'weekend' | 'holiday'>
  due_at: Timestamp
  status: ColumnType<ObligationStatus, ObligationStatus | undefined, ObligationStatus>
  report_id: Optional<string>
  submitted_at: Optional<Date>
  waived_reason: Optional<string>
  waived_by: Optional<string>
  waived_at: Optional<Date>
  reminded_at: Optional<Date>
  sanction_step: ColumnType<number, number | undefined, number>
  created_at: Timestamp
}

export interface SanctionLadderTable {
  kind: string
  step: number
  code: string
  days_overdue: number
  blocks_submissions: boolean
  lasts_days: number | null
  name: Json<{ en: string; id: string }>
}

export interface SanctionsTable {
  id: Generated<string>
  organisation_id: string
  obligation_id: Optional<string>
  kind: string
  step: number
  code: string
  blocks_submissions: boolean
  status: ColumnType<SanctionStatus, SanctionStatus | undefined, SanctionStatus>
  reason: string
  applied_by_type: 'system' | 'operator'
  applied_by_id: string
  applied_at: Timestamp
  expires_at: Optional<Date>
  ended_at: Optional<Date>
  ended_by: Optional<string>
  end_reason: Optional<string>
}

export interface RealisationReportsTable {
  id: Generated<string>
  organisation_id: string
  permit_id: string
  obligation_id: string
  report_number: string
  period: string
  current_version: ColumnType<number, number | undefined, number>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface RealisationLine {
  hsCode: string
  description: string
  quantity: number
  unit: string
  value: number
  currency: string
  port: string
  country: string
  realised: boolean
  /** Why a planned line was not realised. */
  reason?: string
}

export interface RealisationReportVersionsTable {
  report_id: string
  version: number
  lines: Json<RealisationLine[]>
  amendment_reason: Optional<string>
  submitted_by_type: 'user' | 'client'
  submitted_by_id: string
  submitted_at: Timestamp
  forwarding_status: ColumnType<'pending' | 'forwarded' | 'failed', 'pending' | 'forwarded' | 'failed' | undefined, 'pending' | 'forwarded' | 'failed'>
  forwarding_attempts: ColumnType<number, number | undefined, number>
  last_forwarding_error: Optional<string>
  inatrade_receipt_number: Optional<string>
  forwarded_at: Optional<Date>
}

export interface CalendarFeedTokensTable {
  id: Generated<string>
  user_id: string
  token_sha256: string
  created_at: Timestamp
  revoked_at: Optional<Date>
}

export interface ComplianceTables {
  business_clock: BusinessClockTable
  obligations: ObligationsTable
  sanction_ladder: SanctionLadderTable
  sanctions: SanctionsTable
  realisation_reports: RealisationReportsTable
  realisation_report_versions: RealisationReportVersionsTable
  calendar_feed_tokens: CalendarFeedTokensTable
}
