/** Tables of permit applications (migrations/0011_permits.sql). */
import type { ColumnType, Generated } from 'kysely'
import type { PostalAddress } from './registration.ts'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
/** jsonb: read as the value, written as JSON text. */
type Json<T> = ColumnType<T, string, string>
type OptionalJson<T> = ColumnType<T, string | undefined, string>

export type PermitStatus =
  | 'submitted'
  | 'forwarded'
  | 'received'
  | 'under_review'
  | 'approved'
  | 'issued'
  | 'rejected'
  | 'cancelled'
  | 'forwarding_failed'

/** The organisation's record at submission time (single submission: never typed by the caller). */
export interface PermitApplicant {
  nib: string
  npwp: string
  name: string
  address: PostalAddress | null
  /**
   * Who INATRADE is told applies, recorded at submission when known (the submitting user, else
   * OSS's first person in charge with a NIK). Personal data (NIK): never shown by the API, never logged.
   */
  personInCharge?: { name: string; nik: string }
}

export interface PermitLicence {
  number: string
  issuedAt: string
  validUntil: string
}

export interface PermitDocumentRef {
  type: string
  name: string
  sha256?: string
  url?: string
}

export interface PermitsTable {
  id: Generated<string>
  organisation_id: string
  reference_number: string
  permit_type: string
  client_reference: string
  status: ColumnType<PermitStatus, PermitStatus | undefined, PermitStatus>
  applicant: Json<PermitApplicant>
  payload: Json<Record<string, unknown>>
  surveyor_nib: string | null
  surveyor_organisation_id: string | null
  insurer_nib: string | null
  insurer_organisation_id: string | null
  documents: OptionalJson<PermitDocumentRef[]>
  submission_sha256: string
  receipt: string
  trace_id: string
  submitted_by_type: 'user' | 'client'
  submitted_by_id: string
  inatrade_id: string | null
  decision_reason: string | null
  licence: ColumnType<PermitLicence | null, string | null | undefined, string | null>
  forwarding_attempts: ColumnType<number, number | undefined, number>
  last_forwarding_error: ColumnType<string | null, string | null | undefined, string | null>
  submitted_at: Timestamp
  due_at: Timestamp
  status_changed_at: Timestamp
  decided_at: ColumnType<Date | null, Date | null | undefined, Date | null>
  updated_at: Timestamp
}

export type PermitEventActor = 'user' | 'client' | 'operator' | 'system' | 'upstream'
export type PermitEventHop = 'gateway' | 'oss' | 'djp_kswp' | 'inatrade'
export type PermitEventOutcome = 'succeeded' | 'failed' | 'retrying' | 'ignored'

export interface PermitEventsTable {
  id: Generated<string>
  permit_id: string
  organisation_id: string
  sequence: number
  type: string
  status_from: PermitStatus | null
  status_to: PermitStatus | null
  actor_type: PermitEventActor
  actor_id: string | null
  hop: PermitEventHop
  outcome: PermitEventOutcome
  detail: OptionalJson<Record<string, unknown>>
  trace_id: string
  occurred_at: Timestamp
  /** Set by the notifications fan-out once it handled the event (0012). */
  fanned_out_at: ColumnType<Date | null, Date | null | undefined, Date | null>
}

export interface IdempotencyKeysTable {
  organisation_id: string
  operation: string
  key: string
  request_sha256: string
  state: ColumnType<'in_flight' | 'completed', 'in_flight' | 'completed' | undefined, 'in_flight' | 'completed'>
  response_status: number | null
  response_headers: ColumnType<Record<string, string> | null, string | null | undefined, string | null>
  response_body: string | null
  locked_until: Timestamp
  created_at: Timestamp
  expires_at: Timestamp
}

export interface InatradeCallbackDeliveriesTable {
  delivery_id: string
  permit_id: string | null
  inatrade_id: string
  status: string
  outcome: 'applied' | 'recorded_late' | 'duplicate_status'
  received_at: Timestamp
}

export interface PermitDocumentsTable {
  permit_id: string
  licence_number: string
  pdf: Uint8Array
  json: Json<Record<string, unknown>>
  sha256: string
  generated_at: Timestamp
}

export interface PermitTables {
  permits: PermitsTable
  permit_events: PermitEventsTable
  idempotency_keys: IdempotencyKeysTable
  inatrade_callback_deliveries: InatradeCallbackDeliveriesTable
  permit_documents: PermitDocumentsTable
}
