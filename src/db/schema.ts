/**
 * Table types for Kysely. One interface per table, named after it; columns mirror migrations/.
 * Keep in step with the SQL: the migration is the source of truth.
 */
import type { ColumnType, Generated } from 'kysely'
import type { AccountContactsWithVerifiedEmail, AccountSecurityTokenColumns, AccountSecurityUserColumns, FederatedLinkRequestsTable } from './tables/accounts.ts'
import type { ComplianceTables } from './tables/compliance.ts'
import type { LockoutTables } from './tables/lockout.ts'
import type { NotificationTables } from './tables/notifications.ts'
import type { PermitTables } from './tables/permits.ts'
import type { RbacOrganisationColumns, RbacTables, RbacUserColumns } from './tables/rbac.ts'
import type { RegistrationMailColumns, RegistrationOrganisationColumns, RegistrationTables } from './tables/registration.ts'
import type { ShipmentDataTables } from './tables/shipment-data.ts'

export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>

export interface OrganisationsTable extends RbacOrganisationColumns, RegistrationOrganisationColumns {
  id: Generated<string>
  nib: string | null
  npwp: string | null
  name: string
  /** Last sequence number of its compliance events (migrations/0013_compliance.sql). */
  compliance_sequence: ColumnType<number, number | undefined, number>
  created_at: Timestamp
  updated_at: Timestamp
}

export type UserLevel = 'super_admin' | 'admin' | 'non_admin' | 'platform_operator'
export type UserStatus = 'pending_verification' | 'active' | 'locked' | 'disabled'

export interface UsersTable extends RbacUserColumns, AccountSecurityUserColumns {
  id: Generated<string>
  organisation_id: string | null
  username: string
  email: string
  full_name: string
  password_hash: string | null
  status: ColumnType<UserStatus, UserStatus | undefined, UserStatus>
  level: UserLevel
  failed_logins: Generated<number>
  lockouts: Generated<number>
  locked_until: Date | null
  last_login_at: Date | null
  created_at: Timestamp
  updated_at: Timestamp
}

export type MachineClientKind = 'inhouse' | 'surveyor' | 'insurer'

export interface MachineClientsTable {
  client_id: string
  organisation_id: string
  name: string
  kind: MachineClientKind
  secret_hash: string
  previous_secret_hash: string | null
  previous_secret_expires_at: Date | null
  scopes: string[]
  status: ColumnType<'active' | 'revoked', 'active' | 'revoked' | undefined, 'active' | 'revoked'>
  created_by: string | null
  created_at: Timestamp
  revoked_at: Date | null
}

export type OneTimeTokenPurpose = 'set_password' | 'reset_password' | 'verify_email' | 'confirm_email_change'

export interface OneTimeTokensTable extends AccountSecurityTokenColumns {
  token_hash: string
  user_id: string
  purpose: OneTimeTokenPurpose
  expires_at: Date
  consumed_at: Date | null
  created_at: Timestamp
}

export interface ExternalIdentitiesTable {
  provider: 'oss' | 'sso_kemendag'
  subject: string
  user_id: string
  nib: string
  linked_by: 'verified_email' | 'password_sign_in'
  linked_at: Timestamp
}

export interface OidcPayloadsTable {
  model: string
  id: string
  payload: ColumnType<unknown, string, string>
  grant_id: string | null
  user_code: string | null
  uid: string | null
  expires_at: Date | null
  consumed_at: ColumnType<Date | null, Date | null | undefined, unknown>
}

export interface OidcSecretsTable {
  name: string
  value: ColumnType<unknown, string, string>
  created_at: Timestamp
}

export interface MailOutboxTable extends RegistrationMailColumns {
  id: Generated<string>
  recipient: string
  subject: string
  body_text: string
  template: string
  status: ColumnType<'pending' | 'sent' | 'sandbox' | 'failed', 'pending' | undefined, 'pending' | 'sent' | 'sandbox' | 'failed'>
  attempts: Generated<number>
  created_at: Timestamp
  sent_at: Date | null
}

export interface UsernameCountersTable {
  day: string
  last_value: number
}

export interface Database extends RbacTables, RegistrationTables, LockoutTables, PermitTables, NotificationTables, ComplianceTables, ShipmentDataTables {
  username_counters: UsernameCountersTable
  organisations: OrganisationsTable
  users: UsersTable
  machine_clients: MachineClientsTable
  one_time_tokens: OneTimeTokensTable
  external_identities: ExternalIdentitiesTable
  oidc_payloads: OidcPayloadsTable
  oidc_secrets: OidcSecretsTable
  mail_outbox: MailOutboxTable
  account_contacts: AccountContactsWithVerifiedEmail
  federated_link_requests: FederatedLinkRequestsTable
}
