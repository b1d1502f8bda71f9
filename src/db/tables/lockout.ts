/** Failed sign-ins per username and source (migrations/0009_login_failures.sql). */
import type { ColumnType } from 'kysely'

export interface LoginFailuresTable {
  username: string
  source: string
  failures: ColumnType<number, number | undefined, number>
  lockouts: ColumnType<number, number | undefined, number>
  locked_until: Date | null
  last_failure_at: ColumnType<Date, Date | undefined, Date>
}

export interface LockoutTables {
  login_failures: LoginFailuresTable
}
