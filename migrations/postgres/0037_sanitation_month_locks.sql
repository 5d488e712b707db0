-- A row per month that every write into a month's sanitation figures (an inspection, an appeal,
-- a decision, the closing) updates first, so that on PostgreSQL they take their turn on it: a
-- month cannot close between an appeal's check that it is open and the appeal's write.
create table sanitation_month_locks (
    month text primary key,
    writes bigint not null
);
-- A closed month keeps the change since the month before as it stood when closed.
alter table sanitation_month_scores add column trend bigint;
-- The inspections recorded since a time (a district sees the day's the same day, backdated ones
-- included), and those of one day in an area.
create index sanitation_inspections_created on sanitation_inspections(created_at);
create index sanitation_inspections_day_org on sanitation_inspections(inspected_on, org_code);
