-- Realisation reports and sanctions (issue 12): the obligations an issued licence creates, the
-- reports that meet them (every version kept), the sanction ladders as a timetable in a table,
-- the sanctions applied, the per-user calendar feed tokens, and the sandbox's business clock.

create table business_clock (
  id boolean primary key default true check (id),
  offset_ms bigint not null default 0,
  updated_at timestamptz not null default now()
);
comment on table business_clock is 'Sandbox only: how far the gateway''s business time (deadlines, sanctions) runs ahead of the real clock. One row; every instance reads it.';

create table obligations (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references organisations (id),
  permit_id uuid not null references permits (id),
  kind text not null check (kind in ('business_licence', 'surat_keterangan', 'importer_id', 'surveyor_report')),
  rule text not null check (rule in ('monthly_15th', 'working_days_after_validity', 'importer_calendar')),
  period text not null,
  period_start text not null check (period_start ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
  period_end text not null check (period_end ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
  nominal_due_date text not null check (nominal_due_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
  due_date text not null check (due_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
  moved_because text check (moved_because in ('weekend', 'holiday')),
  due_at timestamptz not null,
  status text not null default 'due' check (status in ('due', 'submitted', 'waived')),
  report_id uuid,
  submitted_at timestamptz,
  waived_reason text,
  waived_by text,
  waived_at timestamptz,
  reminded_at timestamptz,
  sanction_step integer not null default 0,
  created_at timestamptz not null default now(),
  unique (permit_id, organisation_id, period)
);
create index obligations_org_due_idx on obligations (organisation_id, due_at, id);
create index obligations_open_idx on obligations (due_at) where status = 'due';
comment on table obligations is 'A report owed for one period of an issued licence, created with the licence (src/modules/obligations/deadline-rules.ts).';
comment on column obligations.kind is 'The sanction ladder that applies when it is missed.';
comment on column obligations.organisation_id is 'Who owes it: the permit''s organisation, or (surveyor_report) the surveyor the permit names.';
comment on column obligations.period_start is 'WIB calendar dates are kept as YYYY-MM-DD text: a date column would come back as a Date at some time zone''s midnight, the very ambiguity these dates must not have.';
comment on column obligations.nominal_due_date is 'The date the rule gives (WIB); due_date differs when that day is a weekend or holiday (moved_because).';
comment on column obligations.due_at is 'The end of due_date in Asia/Jakarta (23:59:59.999 WIB).';
comment on column obligations.status is 'due (overdue once due_at has passed), submitted (a report met it, even late), waived (an operator, with a reason).';
comment on column obligations.sanction_step is 'The highest step of its ladder applied for it so far: the daily evaluation only moves it forward.';

create table sanction_ladder (
  kind text not null check (kind in ('business_licence', 'surat_keterangan', 'importer_id', 'surveyor_report', 'profile_change')),
  step integer not null check (step >= 1),
  code text not null,
  days_overdue integer not null check (days_overdue >= 0),
  blocks_submissions boolean not null,
  lasts_days integer check (lasts_days > 0),
  name jsonb not null,
  primary key (kind, step)
);
comment on table sanction_ladder is 'The timetable of each ladder (domain: Realisation reports and sanctions): step n applies once the deadline has passed by days_overdue days. Edit rows to change the timetable; no code changes.';
comment on column sanction_ladder.blocks_submissions is 'While such a sanction is active the organisation cannot submit new permit applications.';
comment on column sanction_ladder.lasts_days is 'A sanction that ends by itself (no new certificates for 6 months); null: until lifted.';

insert into sanction_ladder (kind, step, code, days_overdue, blocks_submissions, lasts_days, name) values
  ('business_licence', 1, 'electronic_warning', 1, false, null, '{"en": "Electronic warning", "id": "Peringatan elektronik"}'),
  ('business_licence', 2, 'licence_freeze', 30, true, null, '{"en": "Business licence frozen", "id": "Pembekuan perizinan berusaha"}'),
  ('business_licence', 3, 'new_licence_suspension', 60, true, null, '{"en": "No new business licences", "id": "Penghentian sementara penerbitan perizinan baru"}'),
  ('business_licence', 4, 'licence_revocation', 90, true, null, '{"en": "Business licence revoked", "id": "Pencabutan perizinan berusaha"}'),
  ('business_licence', 5, 'application_bar', 120, true, null, '{"en": "Barred from applying", "id": "Larangan mengajukan permohonan"}'),
  ('surveyor_report', 1, 'electronic_warning', 1, false, null, '{"en": "Electronic warning", "id": "Peringatan elektronik"}'),
  ('surveyor_report', 2, 'verification_suspension_recommended', 30, false, null, '{"en": "Suspension of verification services recommended", "id": "Rekomendasi pembekuan layanan verifikasi"}'),
  ('surveyor_report', 3, 'surveyor_revocation', 60, true, null, '{"en": "Surveyor appointment revoked", "id": "Pencabutan penetapan surveyor"}'),
  ('surveyor_report', 4, 'application_bar', 90, true, null, '{"en": "Barred from applying", "id": "Larangan mengajukan permohonan"}'),
  ('surat_keterangan', 1, 'electronic_warning', 1, false, null, '{"en": "Electronic warning", "id": "Peringatan elektronik"}'),
  ('surat_keterangan', 2, 'certificate_freeze', 30, true, 180, '{"en": "No new exemption certificates for 6 months", "id": "Tidak diterbitkan Surat Keterangan baru selama 6 bulan"}'),
  ('surat_keterangan', 3, 'certificate_revocation', 60, true, null, '{"en": "Surat Keterangan revoked", "id": "Pencabutan Surat Keterangan"}'),
  ('importer_id', 1, 'electronic_warning', 1, false, null, '{"en": "Electronic warning", "id": "Peringatan elektronik"}'),
  ('importer_id', 2, 'api_freeze_recommended', 30, false, null, '{"en": "Freezing of the NIB as importer ID recommended", "id": "Rekomendasi pembekuan NIB sebagai API"}'),
  ('profile_change', 1, 'licence_freeze', 0, true, null, '{"en": "Business licence frozen: business profile change not reported", "id": "Pembekuan perizinan berusaha: perubahan profil usaha tidak dilaporkan"}');

create table sanctions (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references organisations (id),
  obligation_id uuid references obligations (id),
  kind text not null,
  step integer not null,
  code text not null,
  blocks_submissions boolean not null,
  status text not null default 'active' check (status in ('active', 'lifted', 'waived', 'expired')),
  reason text not null,
  applied_by_type text not null check (applied_by_type in ('system', 'operator')),
  applied_by_id text not null,
  applied_at timestamptz not null,
  expires_at timestamptz,
  ended_at timestamptz,
  ended_by text,
  end_reason text,
  unique (obligation_id, step)
);
create index sanctions_org_idx on sanctions (organisation_id, applied_at desc, id);
create index sanctions_blocking_idx on sanctions (organisation_id) where status = 'active' and blocks_submissions;
comment on table sanctions is 'A step of a ladder applied to an organisation: by the daily evaluation (for an obligation) or by an operator.';
comment on column sanctions.status is 'active, lifted or waived by an operator (end_reason says why), or expired (lasts_days ran out).';

alter table organisations add column compliance_sequence integer not null default 0;
comment on column organisations.compliance_sequence is 'Last sequence number of the organisation''s compliance events (webhooks deliver them in this order).';

alter table notifications drop constraint notifications_subject_type_check;
alter table notifications add constraint notifications_subject_type_check check (subject_type in ('permit', 'registration', 'webhook', 'compliance'));

create table realisation_reports (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references organisations (id),
  permit_id uuid not null references permits (id),
  obligation_id uuid not null references obligations (id),
  report_number text not null unique,
  period text not null,
  current_version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (permit_id, period)
);
create index realisation_reports_org_idx on realisation_reports (organisation_id, created_at desc, id desc);
comment on table realisation_reports is 'A realisation report for one period of a permit; amendments add versions (realisation_report_versions).';

create table realisation_report_versions (
  report_id uuid not null references realisation_reports (id),
  version integer not null check (version >= 1),
  lines jsonb not null,
  amendment_reason text,
  submitted_by_type text not null check (submitted_by_type in ('user', 'client')),
  submitted_by_id text not null,
  submitted_at timestamptz not null,
  forwarding_status text not null default 'pending' check (forwarding_status in ('pending', 'forwarded', 'failed')),
  forwarding_attempts integer not null default 0,
  last_forwarding_error text,
  inatrade_receipt_number text,
  forwarded_at timestamptz,
  primary key (report_id, version)
);
comment on table realisation_report_versions is 'Every version of a report as submitted, never changed after (only its forwarding columns move).';
comment on column realisation_report_versions.lines is 'The report lines (HS code, quantity, value, port, country, realised or not); an empty list is a nil report.';
comment on column realisation_report_versions.submitted_at is 'Business time (the sandbox clock when moved): what the deadline is measured against.';

create table calendar_feed_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  token_sha256 text not null unique check (token_sha256 ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);
create unique index calendar_feed_tokens_active_idx on calendar_feed_tokens (user_id) where revoked_at is null;
comment on table calendar_feed_tokens is 'The secret in a user''s obligations.ics address (calendar apps cannot send a bearer token); stored as a SHA-256 digest, one active per user.';
