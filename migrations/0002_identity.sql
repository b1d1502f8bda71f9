-- Identity: people (users), machine clients, one-time tokens, linked external identities,
-- and the storage behind the OIDC provider (one table for every oidc-provider model).

create table users (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid references organisations (id),
  username text not null,
  email text not null,
  full_name text not null,
  password_hash text,
  status text not null default 'pending_verification'
    check (status in ('pending_verification', 'active', 'locked', 'disabled')),
  level text not null check (level in ('super_admin', 'admin', 'non_admin', 'platform_operator')),
  failed_logins integer not null default 0,
  lockouts integer not null default 0,
  locked_until timestamptz,
  last_login_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Platform operators belong to no organisation; everybody else belongs to exactly one.
  check ((level = 'platform_operator') = (organisation_id is null))
);
create unique index users_username_key on users (lower(username));
create index users_organisation_idx on users (organisation_id);
comment on table users is 'People who log in: organisation users (super admin, admin, non-admin) and platform operators.';
comment on column users.password_hash is 'scrypt hash (N, r, p, salt and key in one string); null until the user sets a password.';
comment on column users.failed_logins is 'Consecutive failed logins since the last success or lockout.';
comment on column users.lockouts is 'How many times the account was locked; each lock lasts longer.';

create table machine_clients (
  client_id text primary key,
  organisation_id uuid not null references organisations (id),
  name text not null,
  kind text not null check (kind in ('inhouse', 'surveyor', 'insurer')),
  secret_hash text not null,
  previous_secret_hash text,
  previous_secret_expires_at timestamptz,
  scopes text[] not null default '{}',
  status text not null default 'active' check (status in ('active', 'revoked')),
  created_by uuid references users (id),
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);
create index machine_clients_organisation_idx on machine_clients (organisation_id);
comment on table machine_clients is 'OAuth client-credentials clients of an organisation (in-house systems, surveyors, insurers).';
comment on column machine_clients.secret_hash is 'SHA-256 (hex) of the generated secret; the secret itself is shown once and never stored.';
comment on column machine_clients.previous_secret_hash is 'The secret before the last rotation, accepted until previous_secret_expires_at.';

create table one_time_tokens (
  token_hash text primary key,
  user_id uuid not null references users (id) on delete cascade,
  purpose text not null check (purpose in ('set_password', 'reset_password', 'verify_email')),
  expires_at timestamptz not null,
  consumed_at timestamptz,
  created_at timestamptz not null default now()
);
create index one_time_tokens_user_idx on one_time_tokens (user_id);
comment on table one_time_tokens is 'Single-use, expiring tokens sent by email; stored as SHA-256 digests only.';

create table external_identities (
  provider text not null check (provider in ('oss', 'sso_kemendag')),
  subject text not null,
  user_id uuid not null references users (id) on delete cascade,
  linked_at timestamptz not null default now(),
  primary key (provider, subject)
);
comment on table external_identities is 'Accounts at OSS or SSO Kemendag linked to a local user (federated login).';

create table oidc_payloads (
  model text not null,
  id text not null,
  payload jsonb not null,
  grant_id text,
  user_code text,
  uid text,
  expires_at timestamptz,
  consumed_at timestamptz,
  primary key (model, id)
);
create index oidc_payloads_grant_idx on oidc_payloads (grant_id) where grant_id is not null;
create index oidc_payloads_uid_idx on oidc_payloads (uid) where uid is not null;
create index oidc_payloads_user_code_idx on oidc_payloads (user_code) where user_code is not null;
create index oidc_payloads_expires_idx on oidc_payloads (expires_at) where expires_at is not null;
comment on table oidc_payloads is 'Storage of the OIDC provider: sessions, grants, codes, tokens, interactions (one row per object).';

create table oidc_secrets (
  name text primary key,
  value jsonb not null,
  created_at timestamptz not null default now()
);
comment on table oidc_secrets is 'Sandbox mode only: the generated signing key and cookie keys, shared by every instance on this database.';

create table mail_outbox (
  id uuid primary key default gen_random_uuid(),
  recipient text not null,
  subject text not null,
  body_text text not null,
  template text not null,
  status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
  attempts integer not null default 0,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index mail_outbox_recipient_idx on mail_outbox (lower(recipient), created_at desc);
comment on table mail_outbox is 'Mail waiting to be sent (or, in sandbox mode, shown in the sandbox mailbox). Written in the same transaction as the change that causes it.';
