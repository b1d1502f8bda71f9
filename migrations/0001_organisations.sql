-- Organisations: every business, agency or embassy that holds INSW access. Everything
-- organisation-scoped carries organisation_id and is filtered by it.
create table organisations (
  id uuid primary key default gen_random_uuid(),
  nib text unique check (nib ~ '^[0-9]{13}$'),
  npwp text check (npwp ~ '^[0-9]{15,16}$'),
  name text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table organisations is 'Organisations (companies, agencies, embassies) with INSW access.';
comment on column organisations.nib is 'Nomor Induk Berusaha from OSS: 13 digits; null for organisations without an NIB.';
comment on column organisations.npwp is 'Tax ID, normalised digits (15 old format or 16 new format).';
