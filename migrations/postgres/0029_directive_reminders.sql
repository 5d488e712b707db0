-- The issuing unit reminds (催办) the units that have not acknowledged a directive: the reminder puts
-- the directive at the top of their list until they acknowledge it.
alter table directive_targets add column reminded_at bigint;
alter table directive_targets add column reminded_by text;
