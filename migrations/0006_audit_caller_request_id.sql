-- Issue 8 item 14: a caller's X-Request-Id is the caller's claim, not the gateway's id for the
-- request. audit_events.request_id is from now on always the gateway's own request id (a UUID it
-- generated); what the caller sent is kept beside it. Additive only: the log stays append-only.
alter table audit_events add column caller_request_id text;
comment on column audit_events.request_id is 'The gateway''s id of the request that caused the event (generated, never taken from the caller; also X-Request-Id of the answer and requestId in the log).';
comment on column audit_events.caller_request_id is 'The X-Request-Id the caller sent, when it looked like an id: the caller''s claim, for correlation only.';
