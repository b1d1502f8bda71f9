-- Account security (issue 8, items 1, 3 and 4): federated links only with the person's
-- confirmation, email changes that wait for the new address to confirm them, verification tied
-- to an address, and provider rows findable by account so that a reset or a disable ends them.

-- 1. Federated links. Links made before this migration were made by matching a username or an
--    NIB alone, without the local user confirming them: they are dropped (and the drop is
--    audited). People link again by a matching verified email or by signing in once.
insert into audit_events (organisation_id, actor_kind, actor_id, action, target_type, target_id, before, after)
select u.organisation_id, 'system', null, 'user.federated_link_dropped', 'user', u.id::text,
       jsonb_build_object('provider', e.provider, 'linkedAt', e.linked_at),
       jsonb_build_object('reason', 'linked without the user''s confirmation')
from external_identities e
join users u on u.id = e.user_id;
delete from external_identities;

alter table external_identities add column nib text not null check (nib ~ '^[0-9]{13}$');
alter table external_identities add column linked_by text not null check (linked_by in ('verified_email', 'password_sign_in'));
comment on column external_identities.nib is 'The NIB the external identity carried when linked; it must equal the user''s organisation NIB at every sign-in.';
comment on column external_identities.linked_by is 'How the local user confirmed the link: the IdP''s verified email equal to their verified email, or signing in with their INSW password in the same sign-in.';

create table federated_link_requests (
  interaction_uid text primary key,
  provider text not null check (provider in ('oss', 'sso_kemendag')),
  subject text not null,
  nib text not null check (nib ~ '^[0-9]{13}$'),
  expires_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index federated_link_requests_expires_idx on federated_link_requests (expires_at);
comment on table federated_link_requests is 'An external identity waiting to be linked: made when it matched no account; used (once) when the same sign-in continues with an INSW password of a user of the NIB''s organisation.';

-- 3. Email changes. users.email stays the address mail goes to until the new one is confirmed.
alter table users add column pending_email text;
comment on column users.pending_email is 'A new email set by an editor, waiting for confirmation from that address; receives nothing but the confirmation link.';

alter table one_time_tokens drop constraint one_time_tokens_purpose_check;
alter table one_time_tokens add constraint one_time_tokens_purpose_check
  check (purpose in ('set_password', 'reset_password', 'verify_email', 'confirm_email_change'));
alter table one_time_tokens add column email text;
comment on column one_time_tokens.email is 'For confirm_email_change: the address the link was mailed to (the change it confirms).';

-- Verification belongs to an address: the email is verified while it equals verified_email.
alter table account_contacts add column verified_email text;
comment on column account_contacts.verified_email is 'The address that was proven (a mailed link used); the user''s email is verified only while it equals this.';

-- Addresses already proven: an email verification, or a password set through a mailed link,
-- unless someone else changed the email afterwards (the audit log shows such changes).
with changed as (
  select distinct e.target_id
  from audit_events e
  where e.target_type = 'user' and e.before ? 'email' and e.after ? 'email' and e.before->>'email' is distinct from e.after->>'email'
)
insert into account_contacts (user_id, email_verified_at, verified_email)
select u.id, now(), u.email
from users u
left join account_contacts c on c.user_id = u.id
where (c.email_verified_at is not null or u.password_hash is not null)
  and u.id::text not in (select target_id from changed where target_id is not null)
on conflict (user_id) do update set verified_email = excluded.verified_email,
  email_verified_at = coalesce(account_contacts.email_verified_at, excluded.email_verified_at);

-- 4. Revocation: sessions, grants, codes and refresh tokens of an account, found by accountId.
create index oidc_payloads_account_idx on oidc_payloads ((payload->>'accountId'));

-- 14. Mail bodies keep no one-time link after delivery (src/mail/outbox.ts).
comment on column mail_outbox.body_text is 'The mail text. After an SMTP server accepted it (or it failed for good) the token of every link is replaced; sandbox mail (the sandbox mailbox) is kept whole.';
