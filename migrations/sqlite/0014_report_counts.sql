-- A household's first visit is kept with it (by `record_visit`), so the coverage counts are
-- recomputed from the households alone.
alter table households add column first_visit_date text;
update households set first_visit_date = (select min(v.visit_date) from household_visits v where v.household_id = households.id);
create index households_first_visit on households(org_code, first_visit_date);
-- The daily report's counts (key persons, visits, observations, check-ins, fevers, cases by day,
-- follow-ups, contacts, patients in hospital) are filled from the records at the next start.
insert into app_flags (name, value, set_at) values ('counts_rebuild', 'pending', 0) on conflict (name) do nothing;
-- The counts are read by unit and day (a day, a dated metric's total under '*', the gauges under
-- ''), so that is their key's order; the table is filled again at the next start.
create table unit_counts_by_day (
    org_code text not null,
    day text not null,
    metric text not null,
    n bigint not null,
    primary key (org_code, day, metric)
) without rowid;
drop table unit_counts;
alter table unit_counts_by_day rename to unit_counts;
