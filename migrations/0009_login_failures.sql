-- Sign-in lockout per (username, source) instead of per account: a lock blocks the address that
-- guessed, not the owner signing in from elsewhere (see src/modules/identity/accounts/login-throttle.ts).
create table login_failures (
  username text not null,
  source text not null,
  failures integer not null default 0,
  lockouts integer not null default 0,
  locked_until timestamptz,
  last_failure_at timestamptz not null default now(),
  primary key (username, source)
);
create index login_failures_recent_idx on login_failures (username, last_failure_at desc);
create index login_failures_last_failure_idx on login_failures (last_failure_at);
comment on table login_failures is 'Failed sign-ins per username (lower-cased, as typed, known or not) and source (IPv4 address or IPv6 /64). Forgotten a day after the last failure or lock.';
comment on column login_failures.failures is 'Consecutive failures from this source since its last success or lock.';
comment on column login_failures.lockouts is 'How many times this source was locked out of this username; each lock lasts twice as long.';
comment on column users.failed_logins is 'No longer used for locking (login_failures counts per username and source since 0006).';
comment on column users.locked_until is 'No longer set: locks are per username and source (login_failures) since 0006.';

-- One-time codes: the per-number budget counts the codes sent to one mobile number.
create index mobile_verifications_mobile_idx on mobile_verifications (mobile, created_at desc);
