-- Each observation keeps the last day it has a report for (the day before it started until the
-- first), written with the check-ins (`checkin_rows::insert_many`), so that "under observation and
-- not reported today" is read from an index instead of probing every observation's check-ins
-- (the ledger's overdue filter; docs/architecture.md, "Lists at city scale").
alter table observation_episodes add column reported_through date;
update observation_episodes set reported_through = coalesce((select max(c.day) from check_ins c where c.episode_id = observation_episodes.id), start_date - 1);
alter table observation_episodes alter column reported_through set not null;
create index observation_episodes_unreported on observation_episodes(reported_through, org_code, person_id) where status = 'active';
