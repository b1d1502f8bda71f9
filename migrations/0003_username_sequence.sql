-- Generated usernames look like USER.20201014.01.00099: registration date, a two-digit series,
-- a five-digit sequence. One counter row per day, bumped atomically, keeps them unique even when
-- two approvals run at the same moment on different instances.
create table username_counters (
  day date primary key,
  last_value integer not null
);
comment on table username_counters is 'Per-day counter behind generated usernames (USER.YYYYMMDD.NN.NNNNN).';
