/**
 * Table types for Kysely. One interface per table, named after it; columns mirror migrations/.
 * Keep in step with the SQL: the migration is the source of truth.
 */
import type { ColumnType, Generated } from 'kysely'

export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>

export interface OrganisationsTable {
  id: Generated<string>
  nib: string | null
  npwp: string | null
  name: string
  created_at: Timestamp
  updated_at: Timestamp
}

export interface Database {
  organisations: OrganisationsTable
}
