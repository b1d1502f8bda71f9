-- Account registration: the public form with its power of attorney, the check pipeline's
-- results, operator decisions (append-only), the organisation profile kept in step with OSS,
-- a retrying mail outbox, and the first-login completion (notification channels, mobile OTP).

-- The organisation profile, as OSS holds it (refreshed by re-sync).
alter table organisations add column legal_form text;
alter table organisations add column address jsonb;
alter table organisations add column business_types text[] not null default '{}';
alter table organisations add column kbli jsonb not null default '[]';
alter table organisations add column oss_last_changed_at timestamptz;
alter table organisations add column oss_synced_at timestamptz;
comment on column organisations.legal_form is 'Legal form from OSS (PT, CV, Persero, Yayasan...), or from the registration form without an NIB.';
comment on column organisations.address is 'Address {street, city, province, postalCode}: from OSS, or from the registration form without an NIB.';
comment on column organisations.business_types is 'IMPORTER, EXPORTER, CARRIER, KEK.';
comment on column organisations.kbli is 'KBLI business classifications from OSS: [{code, title}].';
comment on column organisations.oss_last_changed_at is 'When OSS last changed this business (its lastChangedAt), as of the last sync.';
comment on column organisations.oss_synced_at is 'When the profile was last refreshed from OSS; null for organisations without an NIB.';

create table registrations (
  id uuid primary key default gen_random_uuid(),
  tracking_number text not null unique check (tracking_number ~ '^REG(-[A-Z2-7]{4}){5}$'),
  status text not null default 'pending_review' check (status in ('pending_review', 'approved', 'rejected')),
  purpose text not null check (purpose in ('transaction', 'api_catalogue_inhouse', 'monitoring_evaluation')),
  user_type text not null,
  trader_type text not null,
  nib_kind text not null,
  nib text check (nib ~ '^[0-9]{13}$'),
  npwp_kind text not null,
  npwp text check (npwp ~ '^[0-9]{15,16}$'),
  organisation_name text not null,
  business_types text[] not null,
  address jsonb not null,
  applicant_name text not null,
  applicant_position text not null,
  identity_type text not null check (identity_type in ('nik', 'passport')),
  identity_number text not null,
  email text not null,
  mobile text not null,
  terms_accepted_at timestamptz not null,
  checks jsonb not null,
  oss_profile jsonb,
  organisation_id uuid references organisations (id),
  user_id uuid references users (id),
  decided_by uuid references users (id),
  decided_at timestamptz,
  decision_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index registrations_status_idx on registrations (status, created_at desc, id desc);
create index registrations_created_idx on registrations (created_at desc, id desc);
-- One open registration per NIB (or per NPWP without an NIB): concurrent submits cannot both pass.
create unique index registrations_pending_nib_key on registrations (nib) where status = 'pending_review' and nib is not null;
create unique index registrations_pending_npwp_key on registrations (npwp) where status = 'pending_review' and nib is null and npwp is not null;
comment on table registrations is 'Account registrations submitted through the public form; an operator approves (creating the organisation and its super admin) or rejects.';
comment on column registrations.tracking_number is 'Public, unguessable service number (REG- plus 100 random bits in base32); whoever holds it may track the registration.';
comment on column registrations.nib is 'NIB, 13 digits; null when the trader type allows registering without one.';
comment on column registrations.npwp is 'Personal data. NPWP normalised to digits (15 or 16); null when registering without one.';
comment on column registrations.identity_number is 'Personal data. NIK (16 digits) or passport number of the applicant; never shown on public tracking.';
comment on column registrations.checks is 'Results of the check pipeline in order: [{step, status, reason, errors}].';
comment on column registrations.oss_profile is 'The OSS business profile seen at submission (NIK of persons in charge removed).';
comment on column registrations.decided_by is 'The platform operator who approved or rejected.';

create table registration_documents (
  id uuid primary key default gen_random_uuid(),
  registration_id uuid not null references registrations (id),
  kind text not null check (kind in ('power_of_attorney')),
  media_type text not null check (media_type = 'application/pdf'),
  file_name text,
  size_bytes integer not null check (size_bytes between 1 and 1048576),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  content bytea not null,
  created_at timestamptz not null default now(),
  unique (registration_id, kind)
);
comment on table registration_documents is 'Uploaded documents, stored in the database (never on a web-served path); served only to platform operators and the organisation''s super admin.';
comment on column registration_documents.file_name is 'Name the client gave; informational only, never used to decide the type or to build a path.';
comment on column registration_documents.sha256 is 'SHA-256 (hex) of the content, for integrity and de-duplication.';

create table registration_events (
  id bigint generated always as identity primary key,
  registration_id uuid not null references registrations (id),
  event text not null check (event in ('submitted', 'approved', 'rejected')),
  actor_user_id uuid references users (id),
  reason text,
  details jsonb not null default '{}',
  occurred_at timestamptz not null default now()
);
create index registration_events_registration_idx on registration_events (registration_id, id);
comment on table registration_events is 'Append-only history of each registration: submission and every operator decision (who, when, what, why).';
comment on column registration_events.actor_user_id is 'The operator who decided; null for the public submission.';

create function registration_events_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'registration_events is append-only';
end;
$$;
create trigger registration_events_no_change before update or delete on registration_events
  for each row execute function registration_events_append_only();

-- Mail outbox: retries with back-off; nothing is deleted. In sandbox mode mail is "delivered" to the
-- sandbox mailbox (the table itself) instead of an SMTP server.
alter table mail_outbox drop constraint mail_outbox_status_check;
alter table mail_outbox add constraint mail_outbox_status_check check (status in ('pending', 'sent', 'sandbox', 'failed'));
alter table mail_outbox add column next_attempt_at timestamptz not null default now();
alter table mail_outbox add column last_error text;
create index mail_outbox_due_idx on mail_outbox (next_attempt_at) where status = 'pending';
comment on column mail_outbox.status is 'pending (to send), sent (accepted by SMTP), sandbox (kept for the sandbox mailbox), failed (gave up after many attempts; an operator may requeue it).';
comment on column mail_outbox.next_attempt_at is 'Earliest time of the next delivery attempt (exponential back-off after failures).';
comment on column mail_outbox.last_error is 'Why the last attempt failed (no secrets).';

create table sms_outbox (
  id uuid primary key default gen_random_uuid(),
  recipient text not null,
  body_text text not null,
  template text not null,
  created_at timestamptz not null default now()
);
create index sms_outbox_recipient_idx on sms_outbox (recipient, created_at desc);
comment on table sms_outbox is 'Text messages (one-time codes). No SMS gateway is wired yet: they are shown in the sandbox SMS outbox.';

-- First-login completion of a user: contact channels and a verified mobile number.
create table account_contacts (
  user_id uuid primary key references users (id) on delete cascade,
  email_verified_at timestamptz,
  mobile text,
  mobile_verified_at timestamptz,
  notification_channels text[] not null default '{}',
  completed_at timestamptz,
  updated_at timestamptz not null default now()
);
comment on table account_contacts is 'Per user: email verification, notification channels and the mobile number verified by a one-time code.';
comment on column account_contacts.notification_channels is 'Subset of sms, whatsapp, mobile_app, website, email, service_information.';

create table mobile_verifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  mobile text not null,
  code_hash text not null,
  attempts integer not null default 0,
  expires_at timestamptz not null,
  consumed_at timestamptz,
  created_at timestamptz not null default now()
);
create index mobile_verifications_user_idx on mobile_verifications (user_id, created_at desc);
comment on table mobile_verifications is 'One-time codes sent by SMS to verify a mobile number: stored as HMAC digests, expire in minutes, limited attempts.';
