-- Organisation RBAC: which application menus an organisation has, groups with per-menu rights,
-- the add-user form's fields, per-organisation rate limits, and the append-only audit log.
-- The menu catalogue itself (codes, names, supported rights) lives in the application
-- (src/modules/orgs/menu-catalogue.ts); menu_code columns hold those codes.

alter table organisations add column rate_limit_per_minute integer check (rate_limit_per_minute between 1 and 100000);
comment on column organisations.rate_limit_per_minute is 'API requests per minute shared by all machine clients of the organisation; null: the gateway default.';

create table organisation_menus (
  organisation_id uuid not null references organisations (id) on delete cascade,
  menu_code text not null check (menu_code ~ '^[A-Z][A-Z0-9_]{1,63}$'),
  granted_by uuid,
  granted_at timestamptz not null default now(),
  primary key (organisation_id, menu_code)
);
comment on table organisation_menus is 'Menus an organisation''s super admin has (all rights the menu supports); set by a platform operator.';
comment on column organisation_menus.menu_code is 'Code from the application''s menu catalogue, e.g. SSM_PERIZINAN.';
comment on column organisation_menus.granted_by is 'The platform operator (users.id) who granted it; null when granted by the system (sandbox).';

create table groups (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references organisations (id),
  level text not null check (level in ('admin', 'non_admin')),
  name text not null check (length(name) between 1 and 100),
  status text not null default 'active' check (status in ('active', 'inactive')),
  created_by uuid references users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index groups_name_key on groups (organisation_id, lower(name));
comment on table groups is 'Groups of an organisation: a level (admin or non-admin; super admin is not a group) and per-menu rights.';
comment on column groups.level is 'Level of the users in the group: admin or non_admin.';
comment on column groups.status is 'inactive: the group''s users hold no rights until it is active again.';
comment on column groups.created_by is 'The user who created the group.';

create table group_menu_rights (
  group_id uuid not null references groups (id) on delete cascade,
  menu_code text not null check (menu_code ~ '^[A-Z][A-Z0-9_]{1,63}$'),
  can_create boolean not null default false,
  can_view boolean not null default false,
  can_edit boolean not null default false,
  can_delete boolean not null default false,
  can_approve boolean not null default false,
  can_reject boolean not null default false,
  enabled boolean not null default true,
  primary key (group_id, menu_code)
);
comment on table group_menu_rights is 'Per group and menu: the six rights, and whether the menu is enabled.';
comment on column group_menu_rights.enabled is 'false: the menu is switched off for a while; its rights are kept but grant nothing.';

alter table users
  add column group_id uuid references groups (id),
  add column position text,
  add column nik text check (nik ~ '^[0-9]{16}$'),
  add column employee_number text,
  add column sik_number text,
  add column phone text,
  add column mobile text,
  add column fax text,
  add column address text,
  add column postal_code text check (postal_code ~ '^[0-9]{5}$'),
  add column shipping_line_code text,
  add column terms_accepted_at timestamptz,
  add column created_by uuid references users (id),
  -- Admins and non-admins get their rights from a group; super admins and operators have none.
  add constraint users_group_level check (group_id is null or level in ('admin', 'non_admin'));
create index users_group_idx on users (group_id) where group_id is not null;
comment on column users.group_id is 'The group whose rights an admin or non-admin holds; the group''s level equals the user''s.';
comment on column users.position is 'Job title (jabatan).';
comment on column users.nik is 'Nomor Induk Kependudukan, 16 digits, normalised. Personal data: never logged, masked in lists.';
comment on column users.employee_number is 'Employee number (NIP / nomor pegawai), optional.';
comment on column users.sik_number is 'Work-permit number (Surat Izin Kerja), optional.';
comment on column users.phone is 'Office phone number.';
comment on column users.mobile is 'Mobile phone number.';
comment on column users.fax is 'Fax number, optional.';
comment on column users.address is 'Postal address.';
comment on column users.postal_code is 'Indonesian postal code, 5 digits.';
comment on column users.shipping_line_code is 'Shipping-line code, for users of shipping lines; optional.';
comment on column users.terms_accepted_at is 'When the user (or their creator on the add-user form) accepted the terms of use.';
comment on column users.created_by is 'The user who created this one (the parent who changes their menus); null for super admins and operators.';

create table audit_events (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid references organisations (id),
  actor_kind text not null check (actor_kind in ('user', 'client', 'operator', 'anonymous', 'system')),
  actor_id text,
  action text not null,
  target_type text not null,
  target_id text,
  before jsonb,
  after jsonb,
  request_id text,
  occurred_at timestamptz not null default now()
);
create index audit_events_org_time_idx on audit_events (organisation_id, occurred_at desc, id desc);
comment on table audit_events is 'Append-only log of changes and sign-in events, written in the same transaction as the change.';
comment on column audit_events.organisation_id is 'The organisation the event belongs to; null for platform-wide events.';
comment on column audit_events.actor_kind is 'Who acted: a user, a machine client, a platform operator, nobody signed in (failed sign-in), or the system.';
comment on column audit_events.actor_id is 'users.id for people and operators, client_id for machine clients.';
comment on column audit_events.action is 'Dotted verb, e.g. group.created, user.rights_changed, client.revoked, login.failed.';
comment on column audit_events.before is 'The target before the change (rights included); null on creation. Never holds secrets or NIKs.';
comment on column audit_events.after is 'The target after the change; null on deletion.';
comment on column audit_events.request_id is 'The X-Request-Id of the request that caused the event.';

create function audit_events_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_events is append-only';
end
$$;
create trigger audit_events_no_update_delete before update or delete on audit_events
  for each row execute function audit_events_append_only();
create trigger audit_events_no_truncate before truncate on audit_events
  for each statement execute function audit_events_append_only();
