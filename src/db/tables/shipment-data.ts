/** Tables of shipment data pushed by surveyors and insurers (migrations/0014_shipment_data.sql). */
import type { ColumnType, Generated } from 'kysely'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
/** jsonb: read as the value, written as JSON text. */
type OptionalJson<T> = ColumnType<T, string | undefined, string>

export type SurveyorResult = 'compliant' | 'non_compliant'

export interface SurveyedLine {
  hsCode: string
  quantity: number
  unit: string
}

export interface SurveyorReportsTable {
  id: Generated<string>
  permit_id: string
  permit_organisation_id: string
  organisation_id: string
  shipment_reference: string
  ls_number: string
  inspected_at: Timestamp
  port_of_loading: string
  result: SurveyorResult
  lines: OptionalJson<SurveyedLine[]>
  findings: string | null
  request_sha256: string
  submitted_by_client_id: string
  received_at: Timestamp
}

export interface InsuranceDeclarationsTable {
  id: Generated<string>
  permit_id: string
  permit_organisation_id: string
  organisation_id: string
  shipment_reference: string
  policy_number: string
  /** numeric: read as text (node-postgres and PGlite), written as the decimal string. */
  insured_amount: string
  insured_currency: string
  /** date: written as YYYY-MM-DD; read as text by the repository (a Date would shift with the time zone). */
  coverage_start: string
  coverage_end: string
  request_sha256: string
  submitted_by_client_id: string
  received_at: Timestamp
}

export interface ShipmentDataTables {
  surveyor_reports: SurveyorReportsTable
  insurance_declarations: InsuranceDeclarationsTable
}
