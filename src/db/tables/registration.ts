/** Tables and columns of account registration (migrations/0005_registration.sql). */
import type { ColumnType, Generated } from 'kysely'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type Json<T> = ColumnType<T, string, string>

export interface PostalAddress {
  street: string
  city: string
  province: string
  postalCode: string
}

/** Columns 0005 adds to `organisations`: the profile as OSS holds it. */
export interface RegistrationOrganisationColumns {
  legal_form: ColumnType<string | null, string | null | undefined, string | null>
  address: ColumnType<PostalAddress | null, string | null | undefined, string | null>
  business_types: ColumnType<string[], string[] | undefined, string[]>
  kbli: ColumnType<{ code: string; title: string }[], string | undefined, string>
  oss_last_changed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  oss_synced_at: ColumnType<Date | null, Date | null | undefined, Date | null>
}

/** Columns 0005 adds to `mail_outbox`. */
export interface RegistrationMailColumns {
  next_attempt_at: ColumnType<Date, Date | undefined, Date>
  last_error: ColumnType<string | null, string | null | undefined, string | null>
}

export type RegistrationStatus = 'pending_review' | 'approved' | 'rejected' | 'refused'

export interface CheckFieldError {
  pointer: string
  detail: { en: string; id: string }
  reason: string
}

export interface CheckResult {
  step: string
  status: 'passed' | 'failed' | 'skipped' | 'error'
  reason: { en: string; id: string } | null
  errors: CheckFieldError[]
}

export interface RegistrationsTable {
  id: Generated<string>
  tracking_number: string
  status: ColumnType<RegistrationStatus, RegistrationStatus | undefined, RegistrationStatus>
  purpose: string
  user_type: string
  trader_type: string
  nib_kind: string
  nib: string | null
  npwp_kind: string
  npwp: string | null
  organisation_name: string
  business_types: string[]
  address: Json<PostalAddress>
  applicant_name: string
  applicant_position: string
  identity_type: 'nik' | 'passport'
  identity_number: string
  email: string
  mobile: string
  terms_accepted_at: Date
  checks: Json<CheckResult[]>
  oss_profile: ColumnType<Record<string, unknown> | null, string | null, string | null>
  organisation_id: string | null
  user_id: string | null
  decided_by: string | null
  decided_at: Date | null
  decision_reason: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface RegistrationDocumentsTable {
  id: Generated<string>
  registration_id: string
  kind: 'power_of_attorney'
  media_type: 'application/pdf'
  file_name: string | null
  size_bytes: number
  sha256: string
  content: Buffer
  created_at: Timestamp
}

export interface RegistrationEventsTable {
  id: Generated<string>
  registration_id: string
  event: 'submitted' | 'approved' | 'rejected' | 'refused'
  actor_user_id: string | null
  reason: string | null
  details: ColumnType<Record<string, unknown>, string | undefined, never>
  occurred_at: Timestamp
}

export interface SmsOutboxTable {
  id: Generated<string>
  recipient: string
  body_text: string
  template: string
  created_at: Timestamp
}

export interface AccountContactsTable {
  user_id: string
  email_verified_at: Date | null
  mobile: string | null
  mobile_verified_at: Date | null
  notification_channels: ColumnType<string[], string[] | undefined, string[]>
  completed_at: Date | null
  updated_at: Timestamp
  /** The language of the user's email and SMS notifications (0012). */
  language: ColumnType<'id' | 'en', 'id' | 'en' | undefined, 'id' | 'en'>
}

export interface MobileVerificationsTable {
  id: Generated<string>
  user_id: string
  mobile: string
  code_hash: string
  attempts: Generated<number>
  expires_at: Date
  consumed_at: Date | null
  created_at: Timestamp
}

export interface RegistrationTables {
  registrations: RegistrationsTable
  registration_documents: RegistrationDocumentsTable
  registration_events: RegistrationEventsTable
  sms_outbox: SmsOutboxTable
  account_contacts: AccountContactsTable
  mobile_verifications: MobileVerificationsTable
}
