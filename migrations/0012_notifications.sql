-- Notifications (issue 11): the fan-out reads permit_events (and registration decisions) and
-- writes one notification per organisation and event, plus one webhook delivery per subscribed
-- endpoint, in the transaction that marks the event fanned out: the event table is the outbox.

alter table permit_events add column fanned_out_at timestamptz;
-- Steps recorded before notifications existed are history, not news.
update permit_events set fanned_out_at = occurred_at;
create index permit_events_fan_out_idx on permit_events (id) where fanned_out_at is null;
comment on column permit_events.fanned_out_at is 'When the notifications fan-out handled the event (null: waiting).';

create table notifications (
  id bigint generated always as identity primary key,
  organisation_id uuid not null references organisations (id) on delete cascade,
  menu_code text,
  type text not null,
  subject_type text not null check (subject_type in ('permit', 'registration', 'webhook')),
  subject_id text not null,
  source text not null unique,
  title jsonb not null,
  body jsonb not null,
  data jsonb not null default '{}',
  occurred_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index notifications_org_idx on notifications (organisation_id, id desc);
comment on table notifications is 'One per organisation and event, read by the users holding View on menu_code (null: every member).';
comment on column notifications.source is 'The event it was made from (permit_event:<id>, registration:<id>:<decision>...): the fan-out is idempotent.';
comment on column notifications.title is 'Short text in both languages: {"en": ..., "id": ...}.';
comment on column notifications.data is 'The event''s payload as webhooks carry it (ids, statuses, reasons; never personal data).';

-- Read state per user: everything up to read_up_to, plus single reads above it.
create table notification_read_marks (
  user_id uuid primary key references users (id) on delete cascade,
  read_up_to bigint not null default 0,
  updated_at timestamptz not null default now()
);
create table notification_reads (
  user_id uuid not null references users (id) on delete cascade,
  notification_id bigint not null references notifications (id) on delete cascade,
  read_at timestamptz not null default now(),
  primary key (user_id, notification_id)
);
comment on table notification_read_marks is 'Read all: every notification up to read_up_to is read for the user.';
comment on table notification_reads is 'Single notifications read above the user''s read_up_to mark.';

alter table account_contacts add column language text not null default 'id' check (language in ('id', 'en'));
comment on column account_contacts.language is 'The language of the user''s email and SMS notifications.';

create table webhooks (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references organisations (id) on delete cascade,
  url text not null,
  description text,
  event_types text[] not null,
  enabled boolean not null default true,
  secret_ciphertext text not null,
  previous_secret_ciphertext text,
  previous_secret_expires_at timestamptz,
  failing_since timestamptz,
  disabled_reason text,
  created_by text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhooks_org_idx on webhooks (organisation_id, created_at);
comment on table webhooks is 'An organisation''s endpoints, signed with Standard Webhooks (whsec_ secrets).';
comment on column webhooks.secret_ciphertext is 'The signing secret, AES-256-GCM encrypted with the server''s WEBHOOK_SECRET_KEY: it must be read back to sign, so it cannot be a one-way digest.';
comment on column webhooks.previous_secret_ciphertext is 'After a rotation, the old secret also signs until previous_secret_expires_at.';
comment on column webhooks.failing_since is 'Start of the current run of failed attempts; the endpoint is disabled once it lasts too long.';

create table webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  webhook_id uuid not null references webhooks (id) on delete cascade,
  organisation_id uuid not null references organisations (id) on delete cascade,
  event_type text not null,
  subject_id text not null,
  sequence integer not null,
  payload jsonb not null,
  state text not null default 'pending' check (state in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,
  last_attempt_at timestamptz,
  delivered_at timestamptz,
  source text not null,
  created_at timestamptz not null default now(),
  unique (webhook_id, source)
);
create index webhook_deliveries_queue_idx on webhook_deliveries (webhook_id, subject_id, sequence) where state = 'pending';
create index webhook_deliveries_list_idx on webhook_deliveries (webhook_id, created_at desc);
comment on table webhook_deliveries is 'One message to one endpoint; its id is the webhook-id header, the same across retries.';
comment on column webhook_deliveries.sequence is 'The subject''s event sequence (a permit''s), so receivers can order.';

create table webhook_delivery_attempts (
  id bigint generated always as identity primary key,
  delivery_id uuid not null references webhook_deliveries (id) on delete cascade,
  attempted_at timestamptz not null default now(),
  status_code integer,
  latency_ms integer not null,
  outcome text not null check (outcome in ('delivered', 'failed')),
  error text,
  response_excerpt text
);
create index webhook_delivery_attempts_idx on webhook_delivery_attempts (delivery_id, id);
comment on table webhook_delivery_attempts is 'The delivery log: every attempt with its status, latency and the start of the answer.';
