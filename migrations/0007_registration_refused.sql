-- Issue 8 item 8: a submission whose data do not match the OSS/DJP records is answered with a
-- generic mismatch; the precise reasons are kept here, for platform operators, as a registration
-- in status 'refused' (never trackable, never approvable). Budgets per IP and NIB bound the rows.
alter table registrations drop constraint registrations_status_check;
alter table registrations add constraint registrations_status_check check (status in ('pending_review', 'approved', 'rejected', 'refused'));
alter table registration_events drop constraint if exists registration_events_event_check;
alter table registration_events add constraint registration_events_event_check check (event in ('submitted', 'approved', 'rejected', 'refused'));
comment on column registrations.status is 'pending_review → approved | rejected by an operator; refused: the checks found the data do not match OSS/DJP records (kept for operators only).';
