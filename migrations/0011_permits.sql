-- Permit applications: what an organisation submitted (once), its journey to INATRADE and back,
-- every step as an event, the idempotency keys of submissions, INATRADE's callback deliveries
-- (de-duplication) and the issued licence document. Forwarding jobs live in pg-boss's own schema,
-- enqueued in the same transaction as the permit row.

create table permits (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references organisations (id),
  reference_number text not null unique,
  permit_type text not null,
  client_reference text not null check (length(client_reference) between 1 and 100),
  status text not null default 'submitted' check (status in (
    'submitted', 'forwarded', 'received', 'under_review', 'approved', 'issued',
    'rejected', 'cancelled', 'forwarding_failed')),
  applicant jsonb not null,
  payload jsonb not null,
  surveyor_nib text check (surveyor_nib ~ '^[0-9]{13}$'),
  surveyor_organisation_id uuid references organisations (id),
  insurer_nib text check (insurer_nib ~ '^[0-9]{13}$'),
  insurer_organisation_id uuid references organisations (id),
  documents jsonb not null default '[]',
  submission_sha256 text not null check (submission_sha256 ~ '^[0-9a-f]{64}$'),
  receipt text not null,
  trace_id text not null check (trace_id ~ '^[0-9a-f]{32}$'),
  submitted_by_type text not null check (submitted_by_type in ('user', 'client')),
  submitted_by_id text not null,
  inatrade_id text unique,
  decision_reason text,
  licence jsonb,
  forwarding_attempts integer not null default 0,
  last_forwarding_error text,
  submitted_at timestamptz not null default now(),
  due_at timestamptz not null,
  status_changed_at timestamptz not null default now(),
  decided_at timestamptz,
  updated_at timestamptz not null default now(),
  unique (organisation_id, client_reference)
);
create index permits_org_submitted_idx on permits (organisation_id, submitted_at desc, id desc);
create index permits_org_status_idx on permits (organisation_id, status, submitted_at desc, id desc);
create index permits_waiting_idx on permits (status, status_changed_at) where status in ('submitted', 'forwarded', 'received', 'under_review', 'approved');
create index permits_surveyor_idx on permits (surveyor_organisation_id, submitted_at desc, id desc) where surveyor_organisation_id is not null;
create index permits_insurer_idx on permits (insurer_organisation_id, submitted_at desc, id desc) where insurer_organisation_id is not null;
comment on table permits is 'Permit applications submitted through the gateway and forwarded to INATRADE.';
comment on column permits.reference_number is 'The gateway''s reference, sent to INATRADE as referenceNumber (PRM-<year>-<10 base32 characters>).';
comment on column permits.client_reference is 'The submitter''s own reference; unique per organisation, so a retry after a timeout finds the permit.';
comment on column permits.applicant is 'Personal data (NPWP). Snapshot of the organisation''s record at submission: {nib, npwp, name, address}; never typed by the caller.';
comment on column permits.payload is 'The application payload, valid against the permit type''s JSON Schema.';
comment on column permits.submission_sha256 is 'SHA-256 (hex) of the RFC 8785 canonical JSON of the submission body; signed in the receipt.';
comment on column permits.receipt is 'The signed receipt (compact JWS) answered at submission.';
comment on column permits.trace_id is 'The W3C trace id of the whole journey: sent to INATRADE in traceparent, kept across retries and callbacks.';
comment on column permits.submitted_by_id is 'User id or machine client id of the submitter.';
comment on column permits.inatrade_id is 'INATRADE''s application id, once it acknowledged the application.';
comment on column permits.licence is 'The issued licence as INATRADE sent it: {number, issuedAt, validUntil}.';
comment on column permits.due_at is 'SLA: the submission time plus the permit type''s working days (Asia/Jakarta calendar).';
comment on column permits.status_changed_at is 'When the status last changed; reconciliation polls INATRADE for permits that have not moved.';

create table permit_events (
  id bigint generated always as identity primary key,
  permit_id uuid not null references permits (id),
  organisation_id uuid not null references organisations (id),
  sequence integer not null,
  type text not null,
  status_from text,
  status_to text,
  actor_type text not null check (actor_type in ('user', 'client', 'operator', 'system', 'upstream')),
  actor_id text,
  hop text not null check (hop in ('gateway', 'oss', 'djp_kswp', 'inatrade')),
  outcome text not null check (outcome in ('succeeded', 'failed', 'retrying', 'ignored')),
  detail jsonb not null default '{}',
  trace_id text not null,
  occurred_at timestamptz not null default now(),
  unique (permit_id, sequence)
);
create index permit_events_org_idx on permit_events (organisation_id, id);
comment on table permit_events is 'Every step of a permit''s journey, written in the same transaction as the change it records; the notifications fan-out reads it in id order.';
comment on column permit_events.sequence is '1, 2, 3... per permit, so receivers can order the events of one permit.';
comment on column permit_events.type is 'permit.submitted, permit.forwarding_attempted, permit.forwarded, permit.status_changed, permit.callback_ignored, permit.reconciled, permit.cancel_requested, permit.document_issued...';
comment on column permit_events.detail is 'What the step adds: reason, attempt, HTTP status, retry time, licence number. Never personal data.';

create table idempotency_keys (
  organisation_id uuid not null references organisations (id),
  operation text not null,
  key text not null check (length(key) between 1 and 255),
  request_sha256 text not null,
  state text not null default 'in_flight' check (state in ('in_flight', 'completed')),
  response_status integer,
  response_headers jsonb,
  response_body text,
  locked_until timestamptz not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  primary key (organisation_id, operation, key)
);
create index idempotency_keys_expiry_idx on idempotency_keys (expires_at);
comment on table idempotency_keys is 'Idempotency-Key of submissions (Stripe''s semantics): the first answer, replayed byte for byte; swept after expires_at (at least 24 h).';
comment on column idempotency_keys.locked_until is 'While in_flight: until when the first request holds the key; a crashed holder''s key is taken over after it.';

create table inatrade_callback_deliveries (
  delivery_id text primary key,
  permit_id uuid references permits (id),
  inatrade_id text not null,
  status text not null,
  outcome text not null check (outcome in ('applied', 'recorded_late', 'duplicate_status')),
  received_at timestamptz not null default now()
);
comment on table inatrade_callback_deliveries is 'INATRADE callback deliveries already handled, by x-inatrade-delivery: a retried delivery is acknowledged and ignored.';

create table permit_documents (
  permit_id uuid primary key references permits (id),
  licence_number text not null unique,
  pdf bytea not null,
  json jsonb not null,
  sha256 text not null,
  generated_at timestamptz not null default now()
);
comment on table permit_documents is 'The issued licence, generated once (PDF and JSON) so every download is the same bytes.';
