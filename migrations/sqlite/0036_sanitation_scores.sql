-- Photos, appeals and the monthly district score of the sanitation PPE inspections.
--
-- An inspection knows its month (`YYYY-MM`, what a closed month freezes), whether it counts in
-- the month's score (a second one of a worker that day counts only when its edition says so) and
-- the points an accepted appeal gave back. A worker's last inspection day is kept on the register:
-- updating it first is also what makes two inspections of one worker take their turn.
alter table sanitation_inspections add column month text not null default '';
alter table sanitation_inspections add column counted boolean not null default true;
alter table sanitation_inspections add column restored bigint not null default 0;
update sanitation_inspections set month = substr(cast(inspected_on as text), 1, 7);
create index sanitation_inspections_worker_month on sanitation_inspections(worker_id, month) where worker_id is not null;
alter table sanitation_workers add column last_inspected_on date;

-- A district's appeal (申诉) against an inspection's deduction, one per inspection: the items it
-- disputes, why, and the centre's decision (accepted gives back the items' points), kept with who
-- and when. An appeal open past the edition's decision days is escalated to the city.
create table sanitation_appeals (
    id integer primary key,
    inspection_id bigint not null unique references sanitation_inspections(id),
    district_code text not null,
    org_code text not null,
    month text not null,
    -- Comma-separated PpeItem codes, among the inspection's missing ones.
    items text not null,
    points bigint not null,
    reason text not null,
    filed_by_id bigint,
    filed_by text not null,
    filed_at bigint not null,
    -- open, accepted or rejected.
    status text not null,
    decided_by_id bigint,
    decided_by text,
    decided_at bigint,
    decision_note text
);
create index sanitation_appeals_org on sanitation_appeals(org_code, id);
create index sanitation_appeals_open on sanitation_appeals(filed_at) where status = 'open';
create index sanitation_appeals_month on sanitation_appeals(month, status);

-- A photo taken at an inspection or sent as an appeal's evidence, in the database as directive
-- attachments are (at most 5 MB, an image).
create table sanitation_photos (
    id integer primary key,
    inspection_id bigint references sanitation_inspections(id),
    appeal_id bigint references sanitation_appeals(id),
    content_type text not null,
    size bigint not null,
    data blob not null,
    created_at bigint not null
);
create index sanitation_photos_inspection on sanitation_photos(inspection_id) where inspection_id is not null;
create index sanitation_photos_appeal on sanitation_photos(appeal_id) where appeal_id is not null;

-- A closed month: each district's figures as they stood when the centre closed it, frozen.
create table sanitation_month_scores (
    month text not null,
    district_code text not null,
    inspections bigint not null,
    workers bigint not null,
    items_checked bigint not null,
    items_missing bigint not null,
    points bigint not null,
    restored bigint not null,
    uncounted bigint not null,
    deductions bigint not null,
    base_score bigint not null,
    score bigint not null,
    rank bigint not null,
    most_missed_item text,
    most_missed_role text,
    closed_by_id bigint,
    closed_by text not null,
    closed_at bigint not null,
    edition_id bigint not null references sanitation_editions(id),
    primary key (month, district_code)
);
