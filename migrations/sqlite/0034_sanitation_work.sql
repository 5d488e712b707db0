-- The sanitation workforce and the daily PPE inspections. A worker belongs to a district of the
-- scheme (or a street of it), by role and team, linked to the person registry when known; one
-- who leaves is ended (`ended_on`), never deleted, so past inspections keep naming them.
create table sanitation_workers (
    id integer primary key,
    org_code text not null,
    -- The district (6 digits) whose score the worker's inspections go to.
    district_code text not null,
    name text not null,
    -- 工号, unique within the district when given.
    number text,
    role text not null,
    team text,
    person_id bigint references persons(id),
    started_on date not null,
    ended_on date,
    created_at bigint not null
);
create index sanitation_workers_org on sanitation_workers(org_code, id);
create unique index sanitation_workers_number on sanitation_workers(district_code, number) where number is not null;

-- An inspection, assessed under the edition in force on its day: what was worn (Worn codes), the
-- required items missing (PpeItem codes) and the points they cost. A worker not on the register
-- is inspected by role (and name when given). A second inspection of a registered worker on one
-- day names the first (`repeat_of`); whether it counts is the edition's setting.
create table sanitation_inspections (
    id integer primary key,
    edition_id bigint not null references sanitation_editions(id),
    district_code text not null,
    org_code text not null,
    place text not null,
    worker_id bigint references sanitation_workers(id),
    worker_name text,
    worker_role text not null,
    inspected_on date not null,
    inspected_at bigint not null,
    worn text not null,
    missing text not null,
    items_checked bigint not null,
    items_missing bigint not null,
    points bigint not null,
    repeat_of bigint references sanitation_inspections(id),
    note text,
    inspector_id bigint,
    inspector text not null,
    created_at bigint not null
);
create index sanitation_inspections_district_day on sanitation_inspections(district_code, inspected_on, id);
create index sanitation_inspections_org on sanitation_inspections(org_code, id);
create index sanitation_inspections_worker_day on sanitation_inspections(worker_id, inspected_on) where worker_id is not null;
