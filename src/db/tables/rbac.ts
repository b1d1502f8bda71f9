/** Tables and columns of organisation RBAC (migrations/0004_rbac.sql). */
import type { ColumnType, Generated } from 'kysely'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>

/** Columns 0004 adds to `users` (the add-user form and the user's group). */
export interface RbacUserColumns {
  group_id: ColumnType<string | null, string | null | undefined, string | null>
  position: ColumnType<string | null, string | null | undefined, string | null>
  nik: ColumnType<string | null, string | null | undefined, string | null>
  employee_number: ColumnType<string | null, string | null | undefined, string | null>
  sik_number: ColumnType<string | null, string | null | undefined, string | null>
  phone: ColumnType<string | null, string | null | undefined, string | null>
  mobile: ColumnType<string | null, string | null | undefined, string | null>
  fax: ColumnType<string | null, string | null | undefined, string | null>
  address: ColumnType<string | null, string | null | undefined, string | null>
  postal_code: ColumnType<string | null, string | null | undefined, string | null>
  shipping_line_code: ColumnType<string | null, string | null | undefined, string | null>
  terms_accepted_at: ColumnType<Date | null, Date | null | undefined, Date | null>
  created_by: ColumnType<string | null, string | null | undefined, string | null>
}

/** Columns 0004 adds to `organisations`. */
export interface RbacOrganisationColumns {
  rate_limit_per_minute: ColumnType<number | null, number | null | undefined, number | null>
}

export interface OrganisationMenusTable {
  organisation_id: string
  menu_code: string
  granted_by: string | null
  granted_at: Timestamp
}

export type GroupLevel = 'admin' | 'non_admin'
export type GroupStatus = 'active' | 'inactive'

export interface GroupsTable {
  id: Generated<string>
  organisation_id: string
  level: GroupLevel
  name: string
  status: ColumnType<GroupStatus, GroupStatus | undefined, GroupStatus>
  created_by: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface GroupMenuRightsTable {
  group_id: string
  menu_code: string
  can_create: boolean
  can_view: boolean
  can_edit: boolean
  can_delete: boolean
  can_approve: boolean
  can_reject: boolean
  enabled: boolean
}

export type AuditActorKind = 'user' | 'client' | 'operator' | 'anonymous' | 'system'

export interface AuditEventsTable {
  id: Generated<string>
  organisation_id: string | null
  actor_kind: AuditActorKind
  actor_id: string | null
  action: string
  target_type: string
  target_id: string | null
  before: ColumnType<unknown, string | null, never>
  after: ColumnType<unknown, string | null, never>
  request_id: string | null
  /** 0006: the caller's X-Request-Id, kept apart from the gateway's own request_id. */
  caller_request_id: ColumnType<string | null, string | null | undefined, never>
  occurred_at: Timestamp
}

export interface RbacTables {
  organisation_menus: OrganisationMenusTable
  groups: GroupsTable
  group_menu_rights: GroupMenuRightsTable
  audit_events: AuditEventsTable
}
