-- The case board: a sample's first result is kept with it (so samples still waiting for one are
-- found on an index without scanning results), a case carries its current classification, and
-- roll-up counts (below) hold cases by status and contacts by day at every unit.
alter table samples add column first_result_at bigint;
update samples set first_result_at = (select min(r.resulted_at) from lab_results r where r.sample_id = samples.id);
create index samples_waiting on samples(received_at) where first_result_at is null and received_at is not null;
-- "Tested in the shortest time": the edition's target from suspicion to the first sample, and
-- the first sample's time kept on the case (in the sample's transaction) for the open clock.
alter table case_rule_sets add column sampling_hours bigint not null default 6;
alter table cases add column first_sample_at bigint;
update cases set first_sample_at = (select min(s.taken_at) from samples s where s.case_id = cases.id);
create index cases_unsampled on cases(diagnosed_at) where first_sample_at is null;
-- A case's current clinical classification, kept with the case in the assessment's transaction
-- (its history stays in case_severities).
alter table cases add column severity text;
update cases set severity = (select s.severity from case_severities s where s.case_id = cases.id order by s.assessed_at desc, s.id desc limit 1);
-- Transmission chains: a contact who became a case is found by person.
create index cases_person on cases(person_id);
-- Roll-up counts per unit, metric and day ('' for a gauge), kept with the facts they count at
-- every level up to the city (src/counts.rs), filled here from the facts already recorded.
create table unit_counts (
    org_code text collate "C" not null,
    metric text not null,
    day text not null,
    n bigint not null,
    primary key (org_code, metric, day)
);
insert into unit_counts (org_code, metric, day, n)
with facts as (
    select org_code, 'case.' || status as metric, '' as day from cases
    union all select org_code, 'contacts.observing', cast(last_exposure_date as text) from contacts where status = 'observing'
), units as (
    select org_code as unit, metric, day from facts
    union all select substr(org_code, 1, 12), metric, day from facts where length(org_code) > 12
    union all select substr(org_code, 1, 9), metric, day from facts where length(org_code) > 9
    union all select substr(org_code, 1, 6), metric, day from facts where length(org_code) > 6
    union all select substr(org_code, 1, 4) || '00', metric, day from facts where substr(org_code, 5, 2) <> '00'
) select unit, metric, day, count(*) from units group by unit, metric, day;
