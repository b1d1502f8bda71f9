/**
 * Permit types, from fixtures/permit-types.json: what each permit needs and how it is checked.
 * (Interface shared by the permit-types routes, the permit pipeline and, later, reports.)
 */
export type BusinessType = 'IMPORTER' | 'EXPORTER'

export type ReportingObligation =
  | { kind: 'monthly'; description: { en: string; id: string } }
  | { kind: 'after_validity'; workingDays: number; description: { en: string; id: string } }
  | { kind: 'importer_calendar'; description: { en: string; id: string } }
  | { kind: 'none'; description: { en: string; id: string } }

export interface RequiredDocument {
  type: string
  name: { en: string; id: string }
  required: boolean
}

export interface PermitType {
  code: string
  name: { en: string; id: string }
  description: { en: string; id: string }
  direction: 'import' | 'export'
  /** The business type the organisation must hold in OSS. */
  businessType: BusinessType
  menu: 'SSM_PERIZINAN'
  /** Surat Keterangan: transactional (one shipment) or periodic. Absent for approvals. */
  certificateKind?: 'transactional' | 'periodic'
  slaWorkingDays: number
  /** Validity of the issued licence, in days. */
  validityDays: number
  surveyorVerification: boolean
  /** HS code prefixes (2–10 digits) the type allows; empty: any. */
  allowedHsPrefixes: string[]
  reportingObligation: ReportingObligation
  requiredDocuments: RequiredDocument[]
  /** JSON Schema (draft 2020-12 subset ajv compiles) of the application payload. */
  payloadSchema: Record<string, unknown>
}
