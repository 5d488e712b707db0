-- The audit page's filter by account reads one account's rows newest first. Residents' own
-- reports (no account, the bulk of the trail) are left out, so check-ins do not pay for it.
create index audit_log_actor on audit_log(actor, id) where actor_id is not null;
