-- Alerts the clock raises, not a reading: a check-in missing at the cut-off, a household not revisited
-- in time, a life-needs request overdue. Such an alert may concern a household or a request rather
-- than a person under observation, so alerts gain household_id and need_id and person_id may be empty.

-- Each household's latest visit, kept with every visit, so that coverage counts and "to visit" lists
-- read one row per household instead of searching its visits.
alter table households add column last_visit_date date;
alter table households add column last_visit_result text;
update households set
    last_visit_date = (select v.visit_date from household_visits v where v.household_id = households.id order by v.visit_date desc, v.id desc limit 1),
    last_visit_result = (select v.result from household_visits v where v.household_id = households.id order by v.visit_date desc, v.id desc limit 1);
create index households_visit_state on households(org_code, last_visit_result);
create index households_to_visit on households(org_code, id) where last_visit_result is null or last_visit_result = 'nobody_home';
create index households_revisit on households(last_visit_date) where last_visit_result = 'nobody_home';

alter table alerts alter column person_id drop not null;
alter table alerts add column household_id bigint references households(id);
alter table alerts add column need_id bigint references life_needs(id);
create unique index alerts_need on alerts(need_id) where need_id is not null;
create index alerts_household on alerts(household_id) where household_id is not null;
-- Open alerts of an area, oldest first: the today lists read 50 of them from here.
drop index alerts_open;
create index alerts_open on alerts(org_code, raised_at) where handled_at is null;

-- Open requests by due time (overdue sweep, needs boards); active episodes of an area in id order
-- (who has not reported yet), so that the bounded lists stop at their limit.
create index life_needs_due on life_needs(due_at) where status <> 'done';
create index life_needs_undone on life_needs(org_code, due_at) where status <> 'done';
create index observation_episodes_active on observation_episodes(status, org_code, id);

-- Sweeps that run once per day and job (missed morning / evening reports, overdue revisits),
-- whichever server gets there first.
create table alert_sweeps (
    job text not null,
    day date not null,
    done_at bigint not null,
    primary key (job, day)
);
