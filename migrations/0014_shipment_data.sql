-- Shipment data pushed machine-to-machine by the partners a permit names: a surveyor's
-- verification result (Laporan Surveyor) and an insurer's cargo insurance declaration, each for
-- one shipment under an issued permit. Each row carries both organisations: the one that pushed it
-- (organisation_id: the surveyor or insurer, which reads its own rows) and the permit's owner
-- (permit_organisation_id, which reads everything pushed about its permits).
-- The pusher's own shipment reference is unique per permit and pusher: a retry finds the row
-- (the same body answers it again, another body is a conflict), so no Idempotency-Key is needed.

create table surveyor_reports (
  id uuid primary key default gen_random_uuid(),
  permit_id uuid not null references permits (id),
  permit_organisation_id uuid not null references organisations (id),
  organisation_id uuid not null references organisations (id),
  shipment_reference text not null check (length(shipment_reference) between 1 and 100),
  ls_number text not null check (length(ls_number) between 1 and 60),
  inspected_at timestamptz not null,
  port_of_loading text not null check (port_of_loading ~ '^[A-Z]{5}$'),
  result text not null check (result in ('compliant', 'non_compliant')),
  lines jsonb not null default '[]',
  findings text check (length(findings) <= 4000),
  request_sha256 text not null check (request_sha256 ~ '^[0-9a-f]{64}$'),
  submitted_by_client_id text not null,
  received_at timestamptz not null default now(),
  unique (permit_id, organisation_id, shipment_reference)
);
create index surveyor_reports_permit_idx on surveyor_reports (permit_id, received_at desc, id desc);
create index surveyor_reports_owner_idx on surveyor_reports (permit_organisation_id, received_at desc, id desc);
create index surveyor_reports_pusher_idx on surveyor_reports (organisation_id, received_at desc, id desc);
comment on table surveyor_reports is 'A surveyor''s verification result (Laporan Surveyor) for one shipment under an issued permit naming the surveyor''s organisation.';
comment on column surveyor_reports.permit_organisation_id is 'The permit''s owner (copied from permits.organisation_id): it reads every report about its permits.';
comment on column surveyor_reports.organisation_id is 'The surveyor''s organisation (permits.surveyor_organisation_id when pushed): it reads its own reports only.';
comment on column surveyor_reports.shipment_reference is 'The surveyor''s own reference for the shipment; unique per permit and surveyor, so a retry finds the report.';
comment on column surveyor_reports.ls_number is 'The Laporan Surveyor number the surveyor issued.';
comment on column surveyor_reports.lines is 'What was verified: [{hsCode, quantity, unit}], HS codes among the permit''s lines.';
comment on column surveyor_reports.request_sha256 is 'SHA-256 (hex) of the RFC 8785 canonical JSON of the body: a repeat with the same body answers the report, another body is 409.';
comment on column surveyor_reports.submitted_by_client_id is 'The machine client that pushed it.';

create table insurance_declarations (
  id uuid primary key default gen_random_uuid(),
  permit_id uuid not null references permits (id),
  permit_organisation_id uuid not null references organisations (id),
  organisation_id uuid not null references organisations (id),
  shipment_reference text not null check (length(shipment_reference) between 1 and 100),
  policy_number text not null check (length(policy_number) between 1 and 60),
  insured_amount numeric not null check (insured_amount > 0),
  insured_currency text not null check (insured_currency ~ '^[A-Z]{3}$'),
  coverage_start date not null,
  coverage_end date not null,
  request_sha256 text not null check (request_sha256 ~ '^[0-9a-f]{64}$'),
  submitted_by_client_id text not null,
  received_at timestamptz not null default now(),
  unique (permit_id, organisation_id, shipment_reference),
  check (coverage_end >= coverage_start)
);
create index insurance_declarations_permit_idx on insurance_declarations (permit_id, received_at desc, id desc);
create index insurance_declarations_owner_idx on insurance_declarations (permit_organisation_id, received_at desc, id desc);
create index insurance_declarations_pusher_idx on insurance_declarations (organisation_id, received_at desc, id desc);
comment on table insurance_declarations is 'An insurer''s cargo insurance declaration for one shipment under an issued permit naming the insurer''s organisation.';
comment on column insurance_declarations.permit_organisation_id is 'The permit''s owner (copied from permits.organisation_id): it reads every declaration about its permits.';
comment on column insurance_declarations.organisation_id is 'The insurer''s organisation (permits.insurer_organisation_id when pushed): it reads its own declarations only.';
comment on column insurance_declarations.shipment_reference is 'The insurer''s own reference for the shipment; unique per permit and insurer, so a retry finds the declaration.';
comment on column insurance_declarations.policy_number is 'Not unique: an open cover policy insures many shipments.';
comment on column insurance_declarations.insured_amount is 'The insured value in insured_currency, exactly as the insurer sent it: numeric without a fixed scale keeps its decimal places (the API allows 18 digits and 4 places).';
comment on column insurance_declarations.insured_currency is 'ISO 4217 alphabetic code.';
comment on column insurance_declarations.coverage_start is 'First day of cover (a calendar date, no time zone).';
comment on column insurance_declarations.coverage_end is 'Last day of cover, on or after coverage_start.';
comment on column insurance_declarations.request_sha256 is 'SHA-256 (hex) of the RFC 8785 canonical JSON of the body: a repeat with the same body answers the declaration, another body is 409.';
comment on column insurance_declarations.submitted_by_client_id is 'The machine client that pushed it.';
