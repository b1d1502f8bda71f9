/** Tables and columns of account security (migrations/0008_account_security.sql). */
import type { ColumnType } from 'kysely'
import type { AccountContactsTable } from './registration.ts'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type Optional<T> = ColumnType<T | null, T | null | undefined, T | null>

export type FederatedProvider = 'oss' | 'sso_kemendag'

/** Columns 0006 adds to `users`. */
export interface AccountSecurityUserColumns {
  pending_email: Optional<string>
}

/** Columns 0006 adds to `one_time_tokens`. */
export interface AccountSecurityTokenColumns {
  email: Optional<string>
}

/** `account_contacts` with the address that was verified (0006). */
export interface AccountContactsWithVerifiedEmail extends AccountContactsTable {
  verified_email: Optional<string>
}

export interface FederatedLinkRequestsTable {
  interaction_uid: string
  provider: FederatedProvider
  subject: string
  nib: string
  expires_at: Date
  created_at: Timestamp
}
